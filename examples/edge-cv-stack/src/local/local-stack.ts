// The whole example on loopback: s3rver with the models bucket and its ObjectCreated events
// wired to the producer, dynalite with the two tables, a folder standing in for the EFS access
// point, and the API server in front of the producer and consumer.
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { isTemporaryName } from '../efs/atomic-write.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { startLocalDynamo, type LocalDynamo } from './local-dynamo.js';
import { LocalFunction, recentLogLines } from './local-function.js';
import { LOCAL_CREDENTIALS, startLocalS3, type LocalS3 } from './local-s3.js';
import { runLocalPackagingWorkflow, type LocalExecution } from './local-workflow.js';
import { placeSampleJobOutputs } from './job-outputs.js';
import { SageMakerEmulatorUnavailableError, startLocalSageMaker, type LocalSageMaker } from './local-sagemaker.js';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Prefix of the bucket (`<prefix>-ml-models-bucket`) and tables. Default `edge-cv`. */
  prefix?: string;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 3000. */
  port?: number;
  /** Folder standing in for the EFS mount; kept at stop. Default: a temporary folder, removed at stop. */
  mountPath?: string;
  /** Print the handlers' log lines on stdout as well as capturing them. Default true. */
  echoLogs?: boolean;
  /** Start moto's server for the SageMaker job routes. Default true; when it cannot run, the routes are left out and `sagemakerUnavailable` says why. */
  sagemaker?: boolean;
}

/** The SageMaker job functions, present when moto's server runs. */
export type JobFunctions = Record<'createTrainingJob' | 'createCompilationJob' | 'jobStatus', LocalFunction>;

/** The role ARN the local job functions pass to SageMaker (moto checks its form only). */
export const LOCAL_SAGEMAKER_ROLE_ARN = 'arn:aws:iam::123456789012:role/edge-cv-local-sagemaker';

/** A running local stack. */
export interface LocalStack {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The models bucket. */
  bucket: string;
  /** s3rver. */
  s3: LocalS3;
  /** dynalite. */
  dynamo: LocalDynamo;
  /** moto's SageMaker, when it could start. */
  sagemaker?: LocalSageMaker;
  /** Why the SageMaker job routes are missing, when they are. */
  sagemakerUnavailable?: string;
  /** The job functions, when SageMaker runs. */
  jobFunctions?: JobFunctions;
  /** The packaging function (its workflow steps; components are not published locally). */
  packaging: LocalFunction;
  /** Runs the packaging state machine on the local executor (also `POST /_local/packaging`). */
  runPackagingWorkflow(input: unknown, options?: { maxConcurrency?: number }): Promise<LocalExecution>;
  /** The folder standing in for /mnt/efs. */
  mountPath: string;
  /** The functions by name. */
  functions: Record<'producer' | 'consumer', LocalFunction>;
  /** Resolves when every S3 notification delivered so far has been handled. */
  eventsSettled(): Promise<void>;
  /** What the demo records as evidence: configuration, logs, listings. */
  facts(): Promise<LocalFacts>;
  /** Stops everything it started and restores the environment. */
  stop(): Promise<void>;
}

/** The local counterpart of the AWS evidence (Lambda configuration, access point, logs, listing). */
export interface LocalFacts {
  /** Always `local`. */
  mode: 'local';
  /** Per function: handler module, environment, file system config, counters. */
  functions: Record<string, unknown>;
  /** The folder playing the access point. */
  accessPoint: Record<string, unknown>;
  /** Bucket name and endpoint. */
  bucket: { name: string; endpoint: string };
  /** Table names and endpoint. */
  tables: { trainingJobs: string; models: string; endpoint: string };
  /** Recent log lines per function. */
  logs: Record<string, string[]>;
  /** The outputs/ listing on the mount and in the bucket. */
  outputs: { efs: Array<{ name: string; bytes: number }>; s3: Array<{ key: string; bytes: number }> };
}

const HANDLERS = new URL('../handlers/', import.meta.url);

/** The environment variables the stack sets for its functions, as the CDK stack does on AWS. */
function functionEnvironment(prefix: string, bucket: string, mountPath: string, s3: LocalS3, dynamo: LocalDynamo): Record<string, string> {
  return {
    BUCKET_NAME: bucket,
    EFS_MOUNT_PATH: mountPath,
    TRAINING_JOBS_TABLE: `${prefix}-training-jobs`,
    MODELS_TABLE: `${prefix}-models`,
    METRICS_NAMESPACE: process.env.METRICS_NAMESPACE ?? 'EdgeCvStack',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    // No Greengrass runs here: the packaging steps skip the component publish (docs/local.md).
    GREENGRASS_PUBLISH: 'skip',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

async function createTables(endpoint: string, prefix: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { ...LOCAL_CREDENTIALS } });
  const tables: Array<[string, string]> = [
    [`${prefix}-training-jobs`, 'job_name'],
    [`${prefix}-models`, 'model_id'],
  ];
  try {
    for (const [TableName, key] of tables) {
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

async function listOutputs(mountPath: string): Promise<Array<{ name: string; bytes: number }>> {
  const dir = join(mountPath, 'outputs');
  const names = await readdir(dir).catch(() => [] as string[]);
  const visible = names.filter((name) => !isTemporaryName(name)).sort();
  return Promise.all(visible.map(async (name) => ({ name, bytes: (await stat(join(dir, name))).size })));
}

/** Starts the local stack. Stop it with `stop()`; everything it started ends there. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const prefix = options.prefix ?? 'edge-cv-poc';
  const bucket = `${prefix}-ml-models-bucket`;
  const ownMount = options.mountPath === undefined;
  const mountPath = options.mountPath ?? (await mkdtemp(join(tmpdir(), 'edge-cv-efs-')));
  await mkdir(mountPath, { recursive: true });

  const pending = new Set<Promise<unknown>>();
  let producer: LocalFunction | undefined;
  const stopping: Array<() => Promise<void>> = [];
  const savedEnv = { ...process.env };
  try {
    const s3 = await startLocalS3({
      buckets: [bucket],
      // S3 invokes the producer asynchronously; a failure is logged, as CloudWatch would show it.
      onObjectCreated: (event) => {
        if (!producer) return;
        const delivery = producer.invoke(event).catch((error: unknown) => {
          process.stderr.write(`${JSON.stringify({ level: 'error', message: 'S3 notification failed', function: 'producer', error: (error as Error).message })}\n`);
        });
        pending.add(delivery);
        void delivery.finally(() => pending.delete(delivery));
      },
    });
    stopping.push(() => s3.stop());
    const dynamo = await startLocalDynamo();
    stopping.push(() => dynamo.stop());
    await createTables(dynamo.endpoint, prefix);

    let sagemaker: LocalSageMaker | undefined;
    let sagemakerUnavailable: string | undefined;
    if (options.sagemaker ?? true) {
      try {
        sagemaker = await startLocalSageMaker();
        stopping.push(() => (sagemaker as LocalSageMaker).stop());
      } catch (error) {
        if (!(error instanceof SageMakerEmulatorUnavailableError)) throw error;
        sagemakerUnavailable = error.message;
      }
    } else {
      sagemakerUnavailable = 'not started (sagemaker: false)';
    }

    const environment = functionEnvironment(prefix, bucket, mountPath, s3, dynamo);
    if (sagemaker) {
      Object.assign(environment, { AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint, SAGEMAKER_ROLE_ARN: LOCAL_SAGEMAKER_ROLE_ARN, JOB_NAME_PREFIX: `${prefix}-` });
    }
    Object.assign(process.env, environment);
    const functionOptions = { echoLogs: options.echoLogs ?? true };
    producer = new LocalFunction(`${prefix}-producer`, new URL('producer.ts', HANDLERS), functionOptions);
    const consumer = new LocalFunction(`${prefix}-consumer`, new URL('consumer.ts', HANDLERS), functionOptions);
    const functions = { producer, consumer };
    const packaging = new LocalFunction(`${prefix}-packaging`, new URL('packaging.ts', HANDLERS), { ...functionOptions, timeoutMs: 900_000 });
    const runPackagingWorkflow = (input: unknown, run: { maxConcurrency?: number } = {}) =>
      runLocalPackagingWorkflow(input, { packaging, bucket, ...(run.maxConcurrency === undefined ? {} : { maxConcurrency: run.maxConcurrency }) });
    const jobFunctions: JobFunctions | undefined = sagemaker
      ? {
          createTrainingJob: new LocalFunction(`${prefix}-create-training-job`, new URL('create-training-job.ts', HANDLERS), functionOptions),
          createCompilationJob: new LocalFunction(`${prefix}-create-compilation-job`, new URL('create-compilation-job.ts', HANDLERS), functionOptions),
          jobStatus: new LocalFunction(`${prefix}-job-status`, new URL('job-status.ts', HANDLERS), functionOptions),
        }
      : undefined;
    const jobRoutes: Record<string, LocalFunction> = jobFunctions
      ? {
          '/jobs/training': jobFunctions.createTrainingJob,
          '/jobs/compilation': jobFunctions.createCompilationJob,
          'GET /jobs/training/{jobName}': jobFunctions.jobStatus,
          'GET /jobs/compilation/{jobName}': jobFunctions.jobStatus,
        }
      : {};

    const facts = async (): Promise<LocalFacts> => {
      const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'outputs/' }));
      const fileSystemConfig = [{ localMountPath: mountPath, stands_in_for: '/mnt/efs via the EFS access point' }];
      return {
        mode: 'local',
        functions: Object.fromEntries(
          Object.entries(functions).map(([role, fn]) => [
            role,
            { functionName: fn.name, handlerModule: fn.moduleUrl.pathname, environment: { BUCKET_NAME: bucket, EFS_MOUNT_PATH: mountPath }, fileSystemConfig, ...fn.stats },
          ]),
        ),
        accessPoint: {
          rootDirectory: mountPath,
          posixUser: { uid: process.getuid?.(), gid: process.getgid?.() },
          note: 'a local folder stands in for the EFS access point; both functions use the same one',
        },
        bucket: { name: bucket, endpoint: s3.endpoint },
        tables: { trainingJobs: environment.TRAINING_JOBS_TABLE ?? '', models: environment.MODELS_TABLE ?? '', endpoint: dynamo.endpoint },
        logs: { producer: recentLogLines(producer?.name ?? ''), consumer: recentLogLines(consumer.name) },
        outputs: {
          efs: await listOutputs(mountPath),
          s3: (listing.Contents ?? []).map((o) => ({ key: o.Key ?? '', bytes: o.Size ?? 0 })),
        },
      };
    };

    const api: ApiServer = await startApiServer(
      { routes: { '/ingest': producer, '/predict': consumer, ...jobRoutes }, functions: { producer, consumer, packaging, ...jobFunctions }, facts, packagingWorkflow: (input) => runPackagingWorkflow(input), placeJobOutputs: (input) => placeSampleJobOutputs(s3.client, bucket, input) },
      options.host ?? '127.0.0.1',
      options.port ?? 3000,
    );
    stopping.push(() => api.close());

    let stopped: Promise<void> | undefined;
    return {
      url: api.url,
      bucket,
      s3,
      dynamo,
      ...(sagemaker ? { sagemaker } : {}),
      ...(sagemakerUnavailable ? { sagemakerUnavailable } : {}),
      ...(jobFunctions ? { jobFunctions } : {}),
      mountPath,
      functions,
      packaging,
      runPackagingWorkflow,
      eventsSettled: async () => {
        while (pending.size > 0) await Promise.allSettled([...pending]);
      },
      facts,
      stop: () => (stopped ??= stopAll(stopping, savedEnv, ownMount ? mountPath : undefined)),
    };
  } catch (error) {
    await stopAll(stopping, savedEnv, ownMount ? mountPath : undefined);
    throw error;
  }
}

async function stopAll(stopping: Array<() => Promise<void>>, savedEnv: NodeJS.ProcessEnv, removeMount: string | undefined): Promise<void> {
  const results = await Promise.allSettled([...stopping].reverse().map((stop) => stop()));
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  if (removeMount) await rm(removeMount, { recursive: true, force: true });
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
