// Neo compilation on the new layout: one SageMaker
// compilation job per target device, named `<jobName>-<target>`, writing to
// `models/compilation/<jobName>/<target>/`. The status call finds a compilation's jobs by their
// output location, so a job of another compilation whose name merely starts the same is not
// taken for one of its targets.
import {
  CreateCompilationJobCommand,
  DescribeCompilationJobCommand,
  paginateListCompilationJobs,
  type DescribeCompilationJobCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { JOB_NAME_PATTERN } from 'storage-safe-archive';
import { BadRequestError } from '../http/request-body.js';
import { archivesUnder, keyOfUri, locateArtifact, type ArtifactLocation } from './artifact-location.js';
import { differences, isJobInUse, isMissingJob, JobConflictError, JobNotFoundError, requireRole, type JobDependencies } from './job-context.js';
import { assertJobPrefix, type CompilationJobRequest } from './job-requests.js';

/** One target's compilation job. */
export interface CompilationTargetView {
  /** The Neo target device. */
  target: string;
  /** The SageMaker job name. */
  sagemakerJobName: string;
  /** Its ARN. */
  arn: string;
  /** SageMaker's status: INPROGRESS, COMPLETED, FAILED, STARTING, STOPPING, STOPPED. */
  status: string;
  /** Why it failed, when it did. */
  failureReason?: string;
  /** True when this call created the job. */
  created?: boolean;
  /** `s3://bucket/models/compilation/<job>/<target>/`. */
  prefix: string;
  /** The compiled archives found there (none until the job has written them). */
  artifacts: ArtifactLocation[];
}

/** A compilation (one job per target) as the API reports it. */
export interface CompilationJobView {
  /** Always `compilation`. */
  kind: 'compilation';
  /** The compilation's name. */
  jobName: string;
  /** COMPLETED when every target is, FAILED when any failed, else INPROGRESS. */
  status: 'COMPLETED' | 'FAILED' | 'INPROGRESS';
  /** `s3://bucket/models/compilation/<job>/`. */
  prefix: string;
  /** Per target, in request (or name) order. */
  targets: CompilationTargetView[];
}

/** The SageMaker job name for one target: Neo device names have `_`, job names may not. */
export function compilationJobName(jobName: string, target: string): string {
  const name = `${jobName}-${target.replace(/_/g, '-')}`;
  if (!JOB_NAME_PATTERN.test(name)) {
    throw new BadRequestError(`jobName: "${jobName}" with target "${target}" makes the SageMaker job name "${name}", which is over 63 characters or not a valid job name; use a shorter jobName`);
  }
  return name;
}

function outputFolder(deps: JobDependencies, jobName: string, target: string): string {
  return `${deps.paths.compilationOutput(jobName, target)}/`;
}

async function describe(deps: JobDependencies, name: string): Promise<DescribeCompilationJobCommandOutput | undefined> {
  try {
    return await deps.sagemaker.send(new DescribeCompilationJobCommand({ CompilationJobName: name }));
  } catch (error) {
    if (isMissingJob(error)) return undefined;
    throw error;
  }
}

async function targetView(deps: JobDependencies, target: string, job: DescribeCompilationJobCommandOutput, created?: boolean): Promise<CompilationTargetView> {
  const folder = keyOfUri(deps.paths, job.OutputConfig?.S3OutputLocation ?? '') ?? '';
  const parsed = deps.paths.parse(folder.replace(/\/$/, ''));
  const newFolder = parsed.kind === 'compilation' ? `${parsed.key}/` : folder;
  const reported = job.ModelArtifacts?.S3ModelArtifacts;
  // Neo reports the archive it wrote; a location that is a folder (or none) is listed instead.
  const artifacts =
    reported && !reported.endsWith('/') && reported !== job.OutputConfig?.S3OutputLocation
      ? [await locateArtifact(deps.s3, deps.paths, reported)]
      : await archivesUnder(deps.s3, deps.paths, newFolder);
  return {
    target,
    sagemakerJobName: job.CompilationJobName ?? '',
    arn: job.CompilationJobArn ?? '',
    status: job.CompilationJobStatus ?? 'UNKNOWN',
    ...(job.FailureReason ? { failureReason: job.FailureReason } : {}),
    ...(created === undefined ? {} : { created }),
    prefix: deps.paths.toUri(newFolder.replace(/\/$/, '')) + '/',
    artifacts,
  };
}

function overall(targets: CompilationTargetView[]): CompilationJobView['status'] {
  if (targets.some((t) => t.status === 'FAILED' || t.status === 'STOPPED')) return 'FAILED';
  return targets.every((t) => t.status === 'COMPLETED') ? 'COMPLETED' : 'INPROGRESS';
}

function compilationView(deps: JobDependencies, jobName: string, targets: CompilationTargetView[]): CompilationJobView {
  // The job's folder is the parent of any target's folder.
  const oneTarget = deps.paths.compilationOutput(jobName, 'target');
  return { kind: 'compilation', jobName, status: overall(targets), prefix: `${deps.paths.toUri(oneTarget.slice(0, oneTarget.lastIndexOf('/')))}/`, targets };
}

async function createOne(request: CompilationJobRequest, target: string, deps: JobDependencies): Promise<CompilationTargetView> {
  const name = compilationJobName(request.jobName, target);
  const inputUri = deps.paths.toUri(deps.paths.trainingOutput(request.trainingJob, 'output', 'model.tar.gz'));
  const outputUri = deps.paths.toUri(outputFolder(deps, request.jobName, target).replace(/\/$/, '')) + '/';
  const dataInputConfig = typeof request.dataInputConfig === 'string' ? request.dataInputConfig : JSON.stringify(request.dataInputConfig);
  const check = (existing: DescribeCompilationJobCommandOutput) => {
    const found = differences({
      input: [existing.InputConfig?.S3Uri, inputUri],
      output: [existing.OutputConfig?.S3OutputLocation, outputUri],
      target: [existing.OutputConfig?.TargetDevice, target],
      framework: [existing.InputConfig?.Framework, request.framework],
    });
    if (found.length > 0) throw new JobConflictError(`compilation job ${name} already exists with other settings (${found.join('; ')}); choose another jobName`, found);
  };
  const existing = await describe(deps, name);
  if (existing) {
    check(existing);
    return targetView(deps, target, existing, false);
  }
  try {
    await deps.sagemaker.send(
      new CreateCompilationJobCommand({
        CompilationJobName: name,
        RoleArn: requireRole(deps),
        InputConfig: {
          S3Uri: inputUri,
          DataInputConfig: dataInputConfig,
          Framework: request.framework,
          ...(request.frameworkVersion ? { FrameworkVersion: request.frameworkVersion } : {}),
        },
        OutputConfig: { S3OutputLocation: outputUri, TargetDevice: target as never },
        StoppingCondition: { MaxRuntimeInSeconds: request.maxRuntimeSeconds },
      }),
    );
  } catch (error) {
    if (!isJobInUse(error)) throw error;
    const raced = await describe(deps, name);
    if (!raced) throw error;
    check(raced);
    return targetView(deps, target, raced, false);
  }
  const created = await describe(deps, name);
  if (!created) throw new Error(`compilation job ${name} was created but cannot be described`);
  return targetView(deps, target, created, true);
}

/**
 * Creates one compilation job per target (or finds the ones a previous identical call made).
 * Every name is checked before the first job is created, so a bad target creates nothing.
 *
 * @example
 * const view = await createCompilationJobs({ jobName: 'edge-cv-poc-unet-1-neo', trainingJob, targets: ['jetson_xavier', 'ml_c5'], ... }, deps);
 * view.targets[0].prefix; // 's3://bucket/models/compilation/edge-cv-poc-unet-1-neo/jetson_xavier/'
 */
export async function createCompilationJobs(request: CompilationJobRequest, deps: JobDependencies): Promise<CompilationJobView> {
  assertJobPrefix('jobName', request.jobName, deps.jobPrefix);
  const names = request.targets.map((target) => compilationJobName(request.jobName, target));
  if (new Set(names).size !== names.length) throw new BadRequestError('targets: two targets differ only by "_" and "-" and would share a SageMaker job name');
  const targets: CompilationTargetView[] = [];
  // One at a time: CreateCompilationJob's rate limit is low, and a conflict stops the rest.
  for (const target of request.targets) targets.push(await createOne(request, target, deps));
  return compilationView(deps, request.jobName, targets);
}

/** The status of every target of the compilation `jobName`; {@link JobNotFoundError} when it has none. */
export async function compilationJobStatus(jobName: string, deps: JobDependencies): Promise<CompilationJobView> {
  const targets: CompilationTargetView[] = [];
  for await (const page of paginateListCompilationJobs({ client: deps.sagemaker }, { NameContains: jobName })) {
    for (const summary of page.CompilationJobSummaries ?? []) {
      if (!summary.CompilationJobName?.startsWith(`${jobName}-`)) continue;
      const job = await describe(deps, summary.CompilationJobName);
      const location = keyOfUri(deps.paths, job?.OutputConfig?.S3OutputLocation ?? '');
      const parsed = location === undefined ? undefined : deps.paths.parse(location.replace(/\/$/, ''));
      if (!job || parsed?.kind !== 'compilation' || parsed.job !== jobName) continue;
      targets.push(await targetView(deps, parsed.target, job));
    }
  }
  if (targets.length === 0) throw new JobNotFoundError(`no compilation jobs for ${jobName} (looked for SageMaker jobs named ${jobName}-<target> writing under models/compilation/${jobName}/)`);
  targets.sort((a, b) => a.target.localeCompare(b.target));
  return compilationView(deps, jobName, targets);
}
