/**
 * Everything that holds data: the shared EFS working set (encrypted with a customer-managed KMS
 * key, reached through one access point), the S3 bucket that is the system of record, and the
 * two DynamoDB tables of the Edge CV portal.
 *
 * Removal policies are chosen per kind of data, and asserted by the tests:
 * - EFS and its KMS key are DESTROYed with the stack: EFS is a working copy that the producer
 *   rebuilds from S3, and the key encrypts nothing else.
 * - The bucket and the tables are RETAINed by default (context `retainData`), since models and
 *   job records are expensive to recreate; `-c retainData=false` deletes them with the stack.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EFS_ACCESS_POINT } from './config.js';
import type { Network } from './network.js';

/** The EFS file system, its key and the `/lambda` access point. */
export class SharedFileSystem extends Construct {
  /** Customer-managed key that encrypts the file system at rest. */
  readonly key: kms.Key;
  /** The file system; one mount target per private subnet. */
  readonly fileSystem: efs.FileSystem;
  /** Rooted at `/lambda`, acting as POSIX user 1000:1000. */
  readonly accessPoint: efs.AccessPoint;

  constructor(scope: Construct, id: string, network: Network) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the edge-cv-stack EFS file system',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      // Shortest window AWS allows: the key is only deleted together with the file system.
      pendingWindow: Duration.days(7),
    });

    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: network.vpc,
      vpcSubnets: network.privateSubnets,
      securityGroup: network.efsSecurityGroup,
      encrypted: true,
      kmsKey: this.key,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      // Elastic throughput bills per GiB moved, so an idle POC costs storage only.
      throughputMode: efs.ThroughputMode.ELASTIC,
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      enableAutomaticBackups: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.accessPoint = this.fileSystem.addAccessPoint('LambdaAccessPoint', {
      path: EFS_ACCESS_POINT.path,
      posixUser: { uid: EFS_ACCESS_POINT.uid, gid: EFS_ACCESS_POINT.gid },
      // EFS creates the root directory with this owner on first use, so Lambda can write to it.
      createAcl: {
        ownerUid: EFS_ACCESS_POINT.uid,
        ownerGid: EFS_ACCESS_POINT.gid,
        permissions: EFS_ACCESS_POINT.permissions,
      },
    });
  }
}

/** Props of {@link ModelBucket}. */
export interface ModelBucketProps {
  /** Bucket name prefix: the bucket is `<prefix>-ml-models-bucket`. */
  readonly prefix: string;
  /** Keep the bucket when the stack is deleted. */
  readonly retain: boolean;
}

/**
 * Days a replaced or deleted object version is kept before S3 expires it. Published artifacts
 * are never overwritten by the packager, but anything else writing to the bucket might: for this
 * long the previous bytes stay retrievable by version id (and the newest few for good, see
 * {@link NONCURRENT_VERSIONS_KEPT}).
 */
export const NONCURRENT_VERSION_DAYS = 30;
/** Noncurrent versions of each key kept past {@link NONCURRENT_VERSION_DAYS}. */
export const NONCURRENT_VERSIONS_KEPT = 3;

/** The system-of-record bucket: encrypted, private, TLS only, versioned. */
export class ModelBucket extends Construct {
  /** The bucket `<prefix>-ml-models-bucket`. */
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ModelBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: `${props.prefix}-ml-models-bucket`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versioned, so an overwrite or a delete never loses the bytes a Greengrass recipe's digest
      // names; the packager itself writes each artifact key once (docs/s3-layout.md, "Integrity").
      versioned: true,
      lifecycleRules: [
        // A multipart upload that dies with its Lambda leaves invisible, billed parts behind.
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Versioning keeps every replaced version: bound what that costs.
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          noncurrentVersionsToRetain: NONCURRENT_VERSIONS_KEPT,
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}

/** Props of {@link JobTables}. */
export interface JobTablesProps {
  /** Table name prefix: `<prefix>-training-jobs` and `<prefix>-models`. */
  readonly prefix: string;
  /** Keep the tables when the stack is deleted. */
  readonly retain: boolean;
}

/** The Edge CV portal's tables whose items hold S3 URIs that the migration rewrites. */
export class JobTables extends Construct {
  /** Training jobs, keyed by SageMaker job name (`job_name`). */
  readonly trainingJobs: dynamodb.Table;
  /** Models, keyed by `model_id`. */
  readonly models: dynamodb.Table;

  constructor(scope: Construct, id: string, props: JobTablesProps) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    } satisfies Partial<dynamodb.TableProps>;

    this.trainingJobs = new dynamodb.Table(this, 'TrainingJobs', {
      ...common,
      tableName: `${props.prefix}-training-jobs`,
      partitionKey: { name: 'job_name', type: dynamodb.AttributeType.STRING },
    });
    this.models = new dynamodb.Table(this, 'Models', {
      ...common,
      tableName: `${props.prefix}-models`,
      partitionKey: { name: 'model_id', type: dynamodb.AttributeType.STRING },
    });
  }
}

