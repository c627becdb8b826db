/**
 * The values the stack and the Lambda handlers must agree on, kept in one place so that an
 * environment variable and the alarm that watches the same quantity can never drift apart.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Node } from 'constructs';
import { METRIC_NAMES as LIBRARY_METRIC_NAMES } from 'storage-safe-archive';

/**
 * Storage thresholds, as fractions of the Lambda's `/tmp`. The packaging Lambda receives them as
 * `STORAGE_WARNING_RATIO` / `STORAGE_CRITICAL_RATIO`, and the storage alarms fire on
 * `StorageUsedRatio >=` the very same numbers.
 */
export const STORAGE_THRESHOLDS = { warningRatio: 0.8, criticalRatio: 0.95 } as const;

/** CloudWatch namespace of the EMF metrics the library writes (`METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'EdgeCvStack';

/** Where producer and consumer see the EFS access point (`EFS_MOUNT_PATH`). */
export const EFS_MOUNT_PATH = '/mnt/efs';

/** Root directory of the access point inside the file system, and the identity it enforces. */
export const EFS_ACCESS_POINT = { path: '/lambda', uid: '1000', gid: '1000', permissions: '750' } as const;

/**
 * The newest Node.js runtime this aws-cdk-lib knows, pinned rather than `NODEJS_LATEST` so a
 * library upgrade never changes the deployed runtime silently; a test checks it is still newest.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** `POWERTOOLS_SERVICE_NAME` of each function; also the `Service` dimension of its metrics. */
export const SERVICE_NAMES = {
  packaging: 'packaging',
  migration: 'migration',
  producer: 'producer',
  consumer: 'consumer',
} as const;

/** One of the four functions of the example. */
export type ServiceName = keyof typeof SERVICE_NAMES;

/**
 * `POWERTOOLS_SERVICE_NAME` of the SageMaker job functions (issue 16), which is also the file name
 * of each one's handler in `src/handlers/`.
 */
export const JOB_SERVICE_NAMES = {
  createTrainingJob: 'create-training-job',
  createCompilationJob: 'create-compilation-job',
  jobStatus: 'job-status',
} as const;

/** One of the SageMaker job functions. */
export type JobServiceName = keyof typeof JOB_SERVICE_NAMES;

/** Every function of the example, by construct name, with its service (and handler file) name. */
export const ALL_SERVICE_NAMES = { ...SERVICE_NAMES, ...JOB_SERVICE_NAMES } as const;

/** Any function of the example. */
export type AnyServiceName = keyof typeof ALL_SERVICE_NAMES;

/**
 * SageMaker job names the stack's functions may create start with `<prefix>-`: the IAM policy
 * allows `sagemaker:Create*Job` on those names only, and the handlers refuse others with a 400.
 */
export function jobNamePrefix(prefix: string): string {
  return `${prefix}-`;
}

/**
 * Names of the EMF metrics the library emits (namespace {@link METRICS_NAMESPACE}), taken from the
 * library itself so the dashboard and alarms cannot drift from what the handlers write.
 */
export const METRIC_NAMES = {
  availableBytes: LIBRARY_METRIC_NAMES.storageAvailableBytes,
  usedRatio: LIBRARY_METRIC_NAMES.storageUsedRatio,
  bytesFreed: LIBRARY_METRIC_NAMES.storageBytesFreed,
  cleanups: LIBRARY_METRIC_NAMES.cleanupsPerformed,
  cleanupFailures: LIBRARY_METRIC_NAMES.cleanupFailures,
  operationDuration: LIBRARY_METRIC_NAMES.operationDuration,
} as const;

/**
 * The bucket's top-level prefixes. S3 has no folders: these exist as
 * soon as a first object is written under them, so the stack creates no placeholder objects.
 */
export const BUCKET_PREFIXES = { models: 'models/', inputs: 'inputs/', outputs: 'outputs/' } as const;

/** Log level handed to every function (`LOG_LEVEL`). */
export const LOG_LEVEL = 'INFO';

/** Settings read from CDK context (`cdk.json` or `-c key=value`). */
export interface StackSettings {
  /** Prefix of the bucket name `<prefix>-ml-models-bucket` and of the table names. */
  readonly prefix: string;
  /**
   * Keep the bucket and the tables when the stack is deleted (true, the default), or delete them
   * with it (false; the bucket must be emptied first).
   */
  readonly retainData: boolean;
  /** Where the alarm topic sends mail (`-c alarmEmail=ops@example.com`); none by default. */
  readonly alarmEmail?: string;
  /** Targets the packaging workflow packages at once (`-c packagingMaxConcurrency=N`, 1-1000). Default 10. */
  readonly packagingMaxConcurrency?: number;
  /** Percentage of targets that may fail while a packaging run still succeeds as PARTIAL (0-100). Default 25. */
  readonly packagingToleratedFailurePercentage?: number;
}

/** Defaults of the packaging workflow's settings. */
export const PACKAGING_WORKFLOW_DEFAULTS = { maxConcurrency: 10, toleratedFailurePercentage: 25 } as const;

function integerContext(node: Node, key: string, min: number, max: number): number | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`context "${key}" must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}. Try: cdk deploy -c ${key}=${min}`);
  }
  return value;
}

// S3 bucket names: 3..63 characters of [a-z0-9.-]; the suffix takes 17, dots are avoided
// because they break virtual-hosted-style TLS certificates.
const PREFIX_PATTERN = /^[a-z0-9][a-z0-9-]{1,44}[a-z0-9]$/;
// One address, no spaces or commas: SNS takes a single endpoint per subscription.
const EMAIL_PATTERN = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/**
 * Reads and checks the stack settings from CDK context.
 *
 * @example
 * const settings = readStackSettings(app.node); // { prefix: 'edge-cv-poc', retainData: true }
 * // with -c alarmEmail=ops@example.com: { ..., alarmEmail: 'ops@example.com' }
 */
export function readStackSettings(node: Node): StackSettings {
  const prefix = String(node.tryGetContext('prefix') ?? 'edge-cv-poc');
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(
      `context "prefix" must be 3-46 lowercase letters, digits or hyphens, starting and ending ` +
        `with a letter or digit (it becomes the bucket name "${prefix}-ml-models-bucket"); ` +
        `got "${prefix}". Try: cdk deploy -c prefix=my-team-poc`,
    );
  }
  const rawRetain: unknown = node.tryGetContext('retainData') ?? true;
  // `-c retainData=false` arrives as the string "false".
  const retainData = !(rawRetain === false || rawRetain === 'false');
  const packagingMaxConcurrency = integerContext(node, 'packagingMaxConcurrency', 1, 1000);
  const packagingToleratedFailurePercentage = integerContext(node, 'packagingToleratedFailurePercentage', 0, 100);
  const workflow = {
    ...(packagingMaxConcurrency === undefined ? {} : { packagingMaxConcurrency }),
    ...(packagingToleratedFailurePercentage === undefined ? {} : { packagingToleratedFailurePercentage }),
  };
  const rawEmail: unknown = node.tryGetContext('alarmEmail');
  if (rawEmail === undefined || rawEmail === '') return { prefix, retainData, ...workflow };
  const alarmEmail = String(rawEmail);
  if (!EMAIL_PATTERN.test(alarmEmail)) {
    throw new Error(`context "alarmEmail" must be one e-mail address; got "${alarmEmail}". Try: cdk deploy -c alarmEmail=ops@example.com`);
  }
  return { prefix, retainData, alarmEmail, ...workflow };
}
