// The job functions' configuration, read from the Lambda environment at the first request:
// BUCKET_NAME, SAGEMAKER_ROLE_ARN, JOB_NAME_PREFIX. The SageMaker client reads
// AWS_ENDPOINT_URL_SAGEMAKER by itself (moto's server in local mode).
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3PathBuilder } from 'storage-safe-archive';
import { createS3Client } from '../aws/clients.js';
import type { JobDependencies } from './job-context.js';

/**
 * The job dependencies from `env`; throws naming the missing variable.
 *
 * @example
 * export const handler = createTrainingJobHandler({ dependencies: () => jobDependenciesFromEnv(), service });
 */
export function jobDependenciesFromEnv(env: NodeJS.ProcessEnv = process.env): JobDependencies {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  return {
    sagemaker: new SageMakerClient({}),
    s3: createS3Client(env),
    paths: new S3PathBuilder({ bucket: need('BUCKET_NAME') }),
    // Only the create functions pass a role; the status function is deployed without one.
    roleArn: env.SAGEMAKER_ROLE_ARN ?? '',
    jobPrefix: env.JOB_NAME_PREFIX ?? '',
  };
}
