// Lambda entry point, GET /jobs/{kind}/{jobName}: a training or compilation job's status and output paths
// Configuration: BUCKET_NAME, SAGEMAKER_ROLE_ARN, JOB_NAME_PREFIX, LOG_LEVEL, POWERTOOLS_SERVICE_NAME.
import { jobStatusHandler } from '../jobs/job-api.js';
import { jobDependenciesFromEnv } from '../jobs/job-environment.js';
import { serviceName } from '../observe/function-logger.js';

/** The handler, configured from the environment on its first request. */
export const handler = jobStatusHandler({ dependencies: () => jobDependenciesFromEnv(), service: serviceName('job-status') });
