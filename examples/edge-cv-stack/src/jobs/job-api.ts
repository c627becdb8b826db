// The three job endpoints as API Gateway proxy handlers: parse and validate, call SageMaker through
// training-jobs.ts / compilation-jobs.ts, shape the answer. Status codes:
//   201 created, 200 already there (same request) or status, 400 bad input, 404 no such job,
//   409 same name with other settings, 502 SageMaker refused or failed.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { errorResponse, jsonResponse } from '../http/proxy-response.js';
import { BadRequestError, parseJsonBody } from '../http/request-body.js';
import { createFunctionLogger, type LineWriter } from '../observe/function-logger.js';
import { compilationJobStatus, createCompilationJobs } from './compilation-jobs.js';
import { JobConflictError, JobNotFoundError, type JobDependencies } from './job-context.js';
import { CompilationJobRequestSchema, JobKindSchema, parseRequest, TrainingJobRequestSchema } from './job-requests.js';
import { createTrainingJob, trainingJobStatus } from './training-jobs.js';
import { JOB_NAME_PATTERN } from 'storage-safe-archive';

/** A proxy handler. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** What the job handlers need: their dependencies (built on first use) and where logs go. */
export interface JobApiOptions {
  /** Builds the clients and settings once, on the first request. */
  dependencies: () => JobDependencies;
  /** Service name on log lines. */
  service: string;
  /** Where log lines go (default stdout). */
  write?: LineWriter;
}

function wrap(options: JobApiOptions, work: (event: APIGatewayProxyEvent, deps: JobDependencies) => Promise<APIGatewayProxyResult>): ProxyHandler {
  const logger = createFunctionLogger(options.service, options.write);
  let deps: JobDependencies | undefined;
  return async (event, context) => {
    const log = logger.child({ requestId: context.awsRequestId });
    try {
      deps ??= options.dependencies();
      const result = await work(event, deps);
      log.info('job request answered', { path: event.path, status: result.statusCode });
      return result;
    } catch (error) {
      if (error instanceof BadRequestError) return errorResponse(400, 'BAD_REQUEST', error.message);
      if (error instanceof JobNotFoundError) return errorResponse(404, 'NOT_FOUND', error.message);
      if (error instanceof JobConflictError) return errorResponse(409, 'CONFLICT', error.message, { differences: error.differences });
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      log.error('job request failed', { path: event.path, error });
      if (e.$metadata?.httpStatusCode !== undefined) {
        return errorResponse(502, 'SAGEMAKER_ERROR', `SageMaker answered ${e.name ?? 'an error'}: ${e.message ?? ''}`);
      }
      return errorResponse(500, 'INTERNAL', `internal error (request ${context.awsRequestId}); see the function's log`);
    }
  };
}

/**
 * `POST /jobs/training`: creates a training job writing to `models/training/<job>/`.
 *
 * @example
 * export const handler = createTrainingJobHandler({ dependencies: jobDependenciesFromEnv, service: 'create-training-job' });
 */
export function createTrainingJobHandler(options: JobApiOptions): ProxyHandler {
  return wrap(options, async (event, deps) => {
    const request = parseRequest(TrainingJobRequestSchema, parseJsonBody(event));
    const job = await createTrainingJob(request, deps);
    return jsonResponse(job.created ? 201 : 200, job);
  });
}

/** `POST /jobs/compilation`: one compilation job per target, writing to `models/compilation/<job>/<target>/`. */
export function createCompilationJobHandler(options: JobApiOptions): ProxyHandler {
  return wrap(options, async (event, deps) => {
    const request = parseRequest(CompilationJobRequestSchema, parseJsonBody(event));
    const view = await createCompilationJobs(request, deps);
    return jsonResponse(view.targets.some((t) => t.created) ? 201 : 200, view);
  });
}

/** `GET /jobs/{kind}/{jobName}`: status and the full S3 paths of the outputs. */
export function jobStatusHandler(options: JobApiOptions): ProxyHandler {
  return wrap(options, async (event, deps) => {
    // API Gateway routes /jobs/training/{jobName} and /jobs/compilation/{jobName} here.
    const [, , kindSegment, nameSegment] = event.path.split('/');
    const kind = JobKindSchema.safeParse(kindSegment);
    if (!kind.success) throw new BadRequestError(`kind: must be "training" or "compilation", got ${JSON.stringify(kindSegment ?? null)}`);
    const jobName = event.pathParameters?.jobName ?? decodeURIComponent(nameSegment ?? '');
    if (!JOB_NAME_PATTERN.test(jobName)) throw new BadRequestError(`jobName: ${JSON.stringify(jobName)} is not a SageMaker job name`);
    const view = kind.data === 'training' ? await trainingJobStatus(jobName, deps) : await compilationJobStatus(jobName, deps);
    return jsonResponse(200, view);
  });
}
