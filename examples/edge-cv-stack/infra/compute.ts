/**
 * The four Lambda functions, bundled from `src/handlers/*.ts` by `NodejsFunction` with the
 * locally installed esbuild (no Docker), and the IAM permissions each one needs, no more:
 * - producer and consumer run in the VPC and mount the EFS access point at `/mnt/efs`;
 * - packaging gets 8 GiB of `/tmp`, 3,008 MB and 15 minutes, the storage thresholds, and may
 *   create Greengrass component versions;
 * - migration reads and rewrites the two tables and copies objects inside the bucket.
 * Packaging and migration stay outside the VPC: they call DynamoDB and Greengrass, which the
 * isolated subnets (no NAT) cannot reach, and they need no file system.
 */
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  EFS_MOUNT_PATH,
  LAMBDA_RUNTIME,
  LOG_LEVEL,
  METRICS_NAMESPACE,
  ALL_SERVICE_NAMES,
  STORAGE_THRESHOLDS,
  type AnyServiceName,
} from './config.js';
import type { Network } from './network.js';
import type { JobTables, ModelBucket, SharedFileSystem } from './storage.js';

// The example is a workspace of the repository: esbuild resolves `storage-safe-archive` through
// the root node_modules symlink to the built dist/, so the project root is the repository.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The only prefix packaging aborts uploads under. */
const DEPLOYMENTS_PREFIX = 'deployments/';
const HANDLERS_DIR = fileURLToPath(new URL('../src/handlers/', import.meta.url));

/** Absolute path of the handler module of one function (named after its service). */
export function handlerEntry(service: AnyServiceName): string {
  return `${HANDLERS_DIR}${ALL_SERVICE_NAMES[service]}.ts`;
}

/** Everything {@link Compute} wires the functions to. */
export interface ComputeProps {
  /** VPC and SG-Lambda for producer and consumer. */
  readonly network: Network;
  /** The EFS access point producer and consumer mount. */
  readonly fileSystem: SharedFileSystem;
  /** The bucket all four functions read and write. */
  readonly bucket: ModelBucket;
  /** The tables the migration rewrites. */
  readonly tables: JobTables;
}

/** The four functions. */
export class Compute extends Construct {
  /** `POST /ingest` and S3 `ObjectCreated` on `models/`: copies models onto EFS. */
  readonly producer: nodejs.NodejsFunction;
  /** `POST /predict`: reads a model from EFS and writes a result. */
  readonly consumer: nodejs.NodejsFunction;
  /** Repackages compiled models into Greengrass components. */
  readonly packaging: nodejs.NodejsFunction;
  /** Moves the bucket to the new S3 layout and rewrites table references. */
  readonly migration: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ComputeProps) {
    super(scope, id);
    const bucketName = props.bucket.bucket.bucketName;
    const mount = lambda.FileSystem.fromEfsAccessPoint(props.fileSystem.accessPoint, EFS_MOUNT_PATH);
    const inVpc = {
      vpc: props.network.vpc,
      vpcSubnets: props.network.privateSubnets,
      securityGroups: [props.network.lambdaSecurityGroup],
      filesystem: mount,
    } satisfies Partial<nodejs.NodejsFunctionProps>;

    this.producer = edgeFunction(this, 'producer', {
      ...inVpc,
      memorySize: 1024,
      // S3 events invoke asynchronously and may copy a 1 GiB model; API calls end at 29 s anyway.
      timeout: Duration.minutes(5),
      environment: { BUCKET_NAME: bucketName, EFS_MOUNT_PATH },
    });
    this.consumer = edgeFunction(this, 'consumer', {
      ...inVpc,
      memorySize: 1024,
      timeout: Duration.minutes(2),
      environment: { BUCKET_NAME: bucketName, EFS_MOUNT_PATH },
    });
    this.packaging = edgeFunction(this, 'packaging', {
      memorySize: 3008,
      ephemeralStorageSize: Size.mebibytes(8192),
      timeout: Duration.seconds(900),
      environment: {
        BUCKET_NAME: bucketName,
        MODELS_TABLE: props.tables.models.tableName,
        STORAGE_WARNING_RATIO: String(STORAGE_THRESHOLDS.warningRatio),
        STORAGE_CRITICAL_RATIO: String(STORAGE_THRESHOLDS.criticalRatio),
      },
    });
    this.migration = edgeFunction(this, 'migration', {
      memorySize: 1024,
      timeout: Duration.seconds(900),
      environment: {
        BUCKET_NAME: bucketName,
        TRAINING_JOBS_TABLE: props.tables.trainingJobs.tableName,
        MODELS_TABLE: props.tables.models.tableName,
      },
    });

    for (const fn of [this.producer, this.consumer, this.packaging, this.migration]) {
      grantBucketObjects(fn, props.bucket);
    }
    const bucket = props.bucket.bucket;
    // Packaging resumes a failed attempt's multipart upload (it finds the open upload and lists
    // the parts S3 holds) and aborts the uploads it gives up on, under deployments/ only (the
    // bucket's lifecycle rule catches a timed-out run's parts). It never deletes: published
    // artifacts are immutable, and a repeated run compares instead of replacing
    // (docs/s3-layout.md, "Integrity").
    this.packaging.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [bucket.arnForObjects(`${DEPLOYMENTS_PREFIX}*`)],
      }),
    );
    this.packaging.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucketMultipartUploads'], resources: [bucket.bucketArn] }));
    // The packaging report (artifact URIs and SHA-256s per target) is one item per component
    // version in the models table: PutItem on that table only.
    this.packaging.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.tables.models.tableArn] }),
    );
        // Inline recipes only: the artifact stays in the bucket, which the function can read.
    this.packaging.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['greengrass:CreateComponentVersion'],
        resources: [
          Stack.of(this).formatArn({
            service: 'greengrass',
            resource: 'components',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // The migration engine (issue 5): rollback deletes new copies and finalize the originals;
    // copies over 5 GiB are multipart (aborted on failure); CopyObject carries object tags over,
    // which S3 checks with the tagging permissions.
    this.migration.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:DeleteObject', 's3:AbortMultipartUpload', 's3:GetObjectTagging', 's3:PutObjectTagging'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    // Exactly the calls the engine makes: read the key schema, scan, conditional update.
    this.migration.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
        resources: [props.tables.trainingJobs.tableArn, props.tables.models.tableArn],
      }),
    );
  }
}

/** Props of one function besides what {@link edgeFunction} sets for all four. */
export type EdgeFunctionProps = Partial<nodejs.NodejsFunctionProps> & {
  /** The function's own environment; the common variables are added. */
  readonly environment: Record<string, string>;
};

/**
 * One of the example's functions with the settings all four share: the pinned runtime, arm64,
 * a log group kept a month, the common environment, and ESM bundling by the local esbuild.
 *
 * @example
 * const fn = edgeFunction(this, 'consumer', { memorySize: 1024, environment: { BUCKET_NAME } });
 */
export function edgeFunction(
  scope: Construct,
  service: AnyServiceName,
  props: EdgeFunctionProps,
): nodejs.NodejsFunction {
  const id = service.charAt(0).toUpperCase() + service.slice(1);
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new nodejs.NodejsFunction(scope, id, {
    ...props,
    description: `edge-cv-stack ${service} (storage-safe-archive example)`,
    entry: handlerEntry(service),
    handler: 'handler',
    runtime: LAMBDA_RUNTIME,
    // Pure-JavaScript dependencies only, so Graviton is safe and 20% cheaper per GB-second.
    architecture: lambda.Architecture.ARM_64,
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    logGroup,
    environment: {
      ...props.environment,
      LOG_LEVEL,
      POWERTOOLS_SERVICE_NAME: ALL_SERVICE_NAMES[service],
      METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node24',
      mainFields: ['module', 'main'],
      minify: true,
      sourceMap: true,
      // Bundled CommonJS dependencies call require(); give the ES module one.
      banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      // Everything is bundled, the AWS SDK too. The runtime's own copy is an unpinned version,
      // and which packages it holds (lib-storage? lib-dynamodb? client-greengrassv2?) is not
      // documented; a missing one would only show as a cold-start crash. Bundling pins the SDK
      // to the lock file the tests ran against (NodejsFunction's default leaves @aws-sdk/* out).
      externalModules: [],
      forceDockerBundling: false,
    },
  });
}

/** `s3:GetObject`/`s3:PutObject` on the bucket's objects and `s3:ListBucket` on the bucket. */
function grantBucketObjects(fn: lambda.Function, bucket: ModelBucket): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [bucket.bucket.arnForObjects('*')],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucket.bucketArn] }),
  );
}
