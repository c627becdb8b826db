// Training jobs on the new layout: SageMaker writes
// `<S3OutputPath>/<job>/output/model.tar.gz`, so the output path is `models/training/` and the
// model lands at `models/training/<job>/output/model.tar.gz`. Creating is idempotent on the name:
// the same request again returns the existing job; a different one is a conflict.
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { locateArtifact, type ArtifactLocation } from './artifact-location.js';
import { differences, isJobInUse, isMissingJob, JobConflictError, JobNotFoundError, requireRole, type JobDependencies } from './job-context.js';
import { assertJobPrefix, type TrainingJobRequest } from './job-requests.js';

/** A training job as the API reports it. */
export interface TrainingJobView {
  /** Always `training`. */
  kind: 'training';
  /** The job name. */
  jobName: string;
  /** Its ARN. */
  arn: string;
  /** SageMaker's status: InProgress, Completed, Failed, Stopping, Stopped. */
  status: string;
  /** Why it failed, when it did. */
  failureReason?: string;
  /** True when this call created the job; false when it already existed with the same settings. */
  created?: boolean;
  /** Where its outputs are (full S3 URIs, requirement 3.4). */
  outputs: {
    /** `s3://bucket/models/training/<job>/`. */
    prefix: string;
    /** The model archive SageMaker writes. */
    model: ArtifactLocation;
  };
}

/** The S3OutputPath for every training job: the `models/training/` folder. */
function trainingOutputPath(deps: JobDependencies, job: string): string {
  const jobFolder = deps.paths.trainingOutput(job);
  // SageMaker appends the job name itself: give it the parent of the job's folder.
  return `${deps.paths.toUri(jobFolder.slice(0, -job.length))}`;
}

async function describe(deps: JobDependencies, jobName: string): Promise<DescribeTrainingJobCommandOutput | undefined> {
  try {
    return await deps.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
  } catch (error) {
    if (isMissingJob(error)) return undefined;
    throw error;
  }
}

async function view(deps: JobDependencies, job: DescribeTrainingJobCommandOutput, created?: boolean): Promise<TrainingJobView> {
  const jobName = job.TrainingJobName ?? '';
  const expected = deps.paths.toUri(deps.paths.trainingOutput(jobName, 'output', 'model.tar.gz'));
  const reported = job.ModelArtifacts?.S3ModelArtifacts ?? expected;
  return {
    kind: 'training',
    jobName,
    arn: job.TrainingJobArn ?? '',
    status: job.TrainingJobStatus ?? 'Unknown',
    ...(job.FailureReason ? { failureReason: job.FailureReason } : {}),
    ...(created === undefined ? {} : { created }),
    outputs: { prefix: `${deps.paths.toUri(deps.paths.trainingOutput(jobName))}/`, model: await locateArtifact(deps.s3, deps.paths, reported) },
  };
}

function assertSame(deps: JobDependencies, request: TrainingJobRequest, existing: DescribeTrainingJobCommandOutput): void {
  const found = differences({
    trainingImage: [existing.AlgorithmSpecification?.TrainingImage, request.trainingImage],
    outputPath: [existing.OutputDataConfig?.S3OutputPath, trainingOutputPath(deps, request.jobName)],
    dataset: [existing.InputDataConfig?.[0]?.DataSource?.S3DataSource?.S3Uri, datasetUri(deps, request.dataset)],
    instanceType: [existing.ResourceConfig?.InstanceType, request.instanceType],
  });
  if (found.length > 0) {
    throw new JobConflictError(`training job ${request.jobName} already exists with other settings (${found.join('; ')}); choose another job name`, found);
  }
}

function datasetUri(deps: JobDependencies, dataset: string): string {
  return `${deps.paths.toUri(deps.paths.dataset(dataset))}/`;
}

/**
 * Creates the training job, or returns the existing one when the same request was made before.
 *
 * @example
 * const job = await createTrainingJob({ jobName: 'edge-cv-poc-unet-1', trainingImage, dataset: 'cats', ... }, deps);
 * job.outputs.model.uri; // 's3://bucket/models/training/edge-cv-poc-unet-1/output/model.tar.gz'
 */
export async function createTrainingJob(request: TrainingJobRequest, deps: JobDependencies): Promise<TrainingJobView> {
  assertJobPrefix('jobName', request.jobName, deps.jobPrefix);
  const existing = await describe(deps, request.jobName);
  if (existing) {
    assertSame(deps, request, existing);
    return view(deps, existing, false);
  }
  try {
    await deps.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: request.jobName,
        RoleArn: requireRole(deps),
        AlgorithmSpecification: { TrainingImage: request.trainingImage, TrainingInputMode: 'File' },
        InputDataConfig: [
          { ChannelName: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: datasetUri(deps, request.dataset), S3DataDistributionType: 'FullyReplicated' } } },
        ],
        OutputDataConfig: { S3OutputPath: trainingOutputPath(deps, request.jobName) },
        ResourceConfig: { InstanceType: request.instanceType as never, InstanceCount: request.instanceCount, VolumeSizeInGB: request.volumeSizeGb },
        StoppingCondition: { MaxRuntimeInSeconds: request.maxRuntimeSeconds },
        ...(request.hyperParameters ? { HyperParameters: request.hyperParameters } : {}),
      }),
    );
  } catch (error) {
    if (!isJobInUse(error)) throw error;
    // Another call created it between our describe and create: answer as if we had been second.
    const raced = await describe(deps, request.jobName);
    if (!raced) throw error;
    assertSame(deps, request, raced);
    return view(deps, raced, false);
  }
  const created = await describe(deps, request.jobName);
  if (!created) throw new Error(`training job ${request.jobName} was created but cannot be described`);
  return view(deps, created, true);
}

/** The training job's status and output paths; {@link JobNotFoundError} when there is none. */
export async function trainingJobStatus(jobName: string, deps: JobDependencies): Promise<TrainingJobView> {
  const job = await describe(deps, jobName);
  if (!job) throw new JobNotFoundError(`no training job named ${jobName}`);
  return view(deps, job);
}
