// Lambda entry point, POST /jobs/compilation: one SageMaker Neo compilation job per target, writing to models/compilation/<job>/<target>/
// Configuration: BUCKET_NAME, SAGEMAKER_ROLE_ARN, JOB_NAME_PREFIX, LOG_LEVEL, POWERTOOLS_SERVICE_NAME.
import { createCompilationJobHandler } from '../jobs/job-api.js';
import { jobDependenciesFromEnv } from '../jobs/job-environment.js';
import { serviceName } from '../observe/function-logger.js';

/** The handler, configured from the environment on its first request. */
export const handler = createCompilationJobHandler({ dependencies: () => jobDependenciesFromEnv(), service: serviceName('create-compilation-job') });
