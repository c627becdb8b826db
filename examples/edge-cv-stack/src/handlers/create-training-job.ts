// Lambda entry point, POST /jobs/training: creates a SageMaker training job writing to models/training/<job>/
// Configuration: BUCKET_NAME, SAGEMAKER_ROLE_ARN, JOB_NAME_PREFIX, LOG_LEVEL, POWERTOOLS_SERVICE_NAME.
import { createTrainingJobHandler } from '../jobs/job-api.js';
import { jobDependenciesFromEnv } from '../jobs/job-environment.js';
import { serviceName } from '../observe/function-logger.js';

/** The handler, configured from the environment on its first request. */
export const handler = createTrainingJobHandler({ dependencies: () => jobDependenciesFromEnv(), service: serviceName('create-training-job') });
