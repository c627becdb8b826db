// What the job functions share: the clients, the bucket's key builder, the role SageMaker runs
// jobs as, the job-name prefix the IAM policy allows, and the errors the API maps to 404 / 409.
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { S3PathBuilder } from 'storage-safe-archive';

/** Everything the job functions need. */
export interface JobDependencies {
  /** SageMaker (moto's server in local mode). */
  sagemaker: SageMakerClient;
  /** S3, to say where outputs are. */
  s3: S3Client;
  /** The bucket's new-layout keys. */
  paths: S3PathBuilder;
  /** The execution role SageMaker assumes (`iam:PassRole` is allowed on it alone). */
  roleArn: string;
  /** Every job name must start with this (`sagemaker:Create*Job` is allowed under it alone). */
  jobPrefix: string;
}

/** The role to pass to SageMaker; throws when the function was deployed without one. */
export function requireRole(deps: JobDependencies): string {
  if (!deps.roleArn) throw new Error('SAGEMAKER_ROLE_ARN is not set: this function cannot create jobs');
  return deps.roleArn;
}

/** No job of that name exists. */
export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';
}

/** A job of that name exists with different settings; creating it again would not be idempotent. */
export class JobConflictError extends Error {
  override readonly name = 'JobConflictError';
  constructor(
    message: string,
    /** `field: existing != requested`, one per difference. */
    readonly differences: string[],
  ) {
    super(message);
  }
}

/** True for SageMaker's "no such job" answers (AWS: ResourceNotFound; moto: ValidationException "Could not find"). */
export function isMissingJob(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return e?.name === 'ResourceNotFound' || (e?.name === 'ValidationException' && /could not find/i.test(e.message ?? ''));
}

/** True when a create lost a race with another create of the same name. */
export function isJobInUse(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return e?.name === 'ResourceInUse' || /already exists|must be unique/i.test(e?.message ?? '');
}

/** Lists `field: existing != requested` for each field that differs. */
export function differences(fields: Record<string, [unknown, unknown]>): string[] {
  return Object.entries(fields)
    .filter(([, [existing, requested]]) => JSON.stringify(existing) !== JSON.stringify(requested))
    .map(([field, [existing, requested]]) => `${field}: ${JSON.stringify(existing)} != ${JSON.stringify(requested)}`);
}
