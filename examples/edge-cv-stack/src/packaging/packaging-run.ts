// The packaging Lambda's work: read the trained model's metadata once, then package every target
// (concurrently under disk reservations, falling back to one at a time), then create one
// Greengrass component version per packaged target. One failed target does not stop the others;
// the report says which failed and why.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  isStorageError,
  planPackaging,
  StreamingExtractor,
  TARGET_PATTERN,
  JOB_NAME_PATTERN,
  type MetricsEmitter,
  type S3PathBuilder,
  type StorageLogger,
  type StorageManager,
} from 'storage-safe-archive';
import { s3RandomAccessSource } from 'storage-safe-archive/s3';
import { buildDdaManifest, readTrainingMetadata, stageType, type DdaManifest } from './dda-manifest.js';
import { buildRecipe, publishRecipe, type ComponentPublisher } from './greengrass-recipe.js';
import { ArtifactConflictError } from './immutable-artifact.js';
import { findCompiledArchive, packageTarget, type PackagedTarget } from './package-target.js';
import { recordReport, type ReportTable } from './report-table.js';

/** The event the packaging Lambda takes. */
export interface PackagingEvent {
  /** SageMaker training job whose export_artifacts/manifest.json and config.yaml describe the model. */
  trainingJob: string;
  /** Neo compilation job; its outputs are under models/compilation/<job>/<target>/. */
  compilationJob: string;
  /** Targets to package. */
  targets: string[];
  /** Greengrass component name; each target becomes `<componentName>-<target>`. */
  componentName: string;
  /** Component version (semantic version). */
  componentVersion: string;
}

/** What the run needs. */
export interface PackagingDependencies {
  /** S3 client. */
  s3: S3Client;
  /** Key builder of the bucket. */
  paths: S3PathBuilder;
  /** Creates component versions. */
  publisher: ComponentPublisher;
  /** The working disk's budget (/tmp in Lambda). */
  storage: StorageManager;
  /** Logger. */
  logger: StorageLogger;
  /** EMF metrics (storage figures, durations). */
  metrics?: MetricsEmitter;
  /** Disk each target reserves while it runs. Default: the plan's peak disk per target, from the archives' sizes (0 when zips stream to S3). */
  perTargetDiskBytes?: number;
  /** Milliseconds between storage samples during the run. Default 1000. */
  storageSampleMs?: number;
  /** Retries per target. Default 2. */
  retries?: number;
  /** Where the packaging report is recorded in DynamoDB (the models table); none when absent. */
  reports?: ReportTable;
}

/** A target that packaged and published. */
export interface SucceededTarget extends PackagedTarget {
  /** The component created for it. */
  componentName: string;
  /** Its ARN, when Greengrass returned one. */
  componentArn?: string;
  /** True when the component version existed already and the artifact was unchanged (a repeated run). */
  alreadyPublished?: true;
}

/** A target that failed, and where. */
export interface FailedTarget {
  /** The target. */
  target: string;
  /** `package` or `publish`. */
  stage: 'package' | 'publish';
  /** The error message. */
  error: string;
  /** The library's error code, when it is one of ours. */
  code?: string;
}

/** The run's report (also the Lambda's return value). */
export interface PackagingReport {
  /** `SUCCEEDED` (all targets), `PARTIAL` or `FAILED` (none). */
  status: 'SUCCEEDED' | 'PARTIAL' | 'FAILED';
  /** Component name as given. */
  componentName: string;
  /** Component version as given. */
  componentVersion: string;
  /** The model folder in the zips. */
  stageType: string;
  /** How targets were scheduled, and why. */
  plan: { strategy: string; concurrency: number; reason: string; sequentialFallback: string[] };
  /** Targets that packaged and published. */
  succeeded: SucceededTarget[];
  /** Targets that failed. */
  failed: FailedTarget[];
  /** The working disk through the run: sampled by the library's monitor from start to end, not once. */
  storage: { samples: number; peakUsedBytes: number; peakUsedRatio: number; reservedPerTargetBytes: number };
}

/** The event is unusable; nothing was done. */
export class PackagingEventError extends Error {
  override readonly name = 'PackagingEventError';
}

/** Checks the event's shape and names (before any S3 call). */
export function parsePackagingEvent(event: unknown): PackagingEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  const text = (field: string, pattern?: RegExp) => {
    const value = e[field];
    if (typeof value !== 'string' || value === '') throw new PackagingEventError(`"${field}" must be a non-empty string`);
    if (pattern && !pattern.test(value)) throw new PackagingEventError(`"${field}" ${JSON.stringify(value)} must match ${pattern}`);
    return value;
  };
  const targets = e.targets;
  if (!Array.isArray(targets) || targets.length === 0) throw new PackagingEventError('"targets" must be a non-empty array of target names');
  for (const target of targets) {
    if (typeof target !== 'string' || !TARGET_PATTERN.test(target)) throw new PackagingEventError(`target ${JSON.stringify(target)} must match ${TARGET_PATTERN}`);
  }
  if (new Set(targets).size !== targets.length) throw new PackagingEventError('"targets" lists a target twice');
  return {
    trainingJob: text('trainingJob', JOB_NAME_PATTERN),
    compilationJob: text('compilationJob', JOB_NAME_PATTERN),
    targets: targets as string[],
    componentName: text('componentName', /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/),
    componentVersion: text('componentVersion', /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/),
  };
}

/** Reads the trained model's export_artifacts/manifest.json and config.yaml into the DDA manifest. */
export async function readManifest(deps: PackagingDependencies, trainingJob: string): Promise<DdaManifest> {
  const prefix = `${deps.paths.trainingOutput(trainingJob)}/`;
  const listing = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.paths.bucket, Prefix: prefix }));
  const model = (listing.Contents ?? []).find((o) => o.Key?.endsWith('model.tar.gz'));
  if (!model?.Key) throw new PackagingEventError(`no model.tar.gz under s3://${deps.paths.bucket}/${prefix}; did training job ${trainingJob} finish?`);
  const source = await s3RandomAccessSource({ client: deps.s3, bucket: deps.paths.bucket, key: model.Key, size: model.Size });
  try {
    const { manifest, config } = await readTrainingMetadata(new StreamingExtractor(), source);
    return buildDdaManifest(manifest, config);
  } finally {
    await source.close?.();
  }
}

function failure(target: string, stage: FailedTarget['stage'], error: unknown): FailedTarget {
  const code = error instanceof ArtifactConflictError ? 'ARTIFACT_CONFLICT' : isStorageError(error) ? error.code : undefined;
  return { target, stage, error: (error as Error).message, ...(code ? { code } : {}) };
}

/**
 * Runs the packaging for every target of `event`, with the working disk sampled throughout by
 * the library's monitor: a warning or critical level is logged (and runs the emergency cleanups)
 * when it happens, and the report carries the peak.
 */
export async function runPackaging(event: PackagingEvent, deps: PackagingDependencies): Promise<PackagingReport> {
  const usage = { samples: 0, peakUsedBytes: 0, peakUsedRatio: 0 };
  const monitor = deps.storage.monitorUsage({
    intervalMs: deps.storageSampleMs ?? 1000,
    onSample: (metrics) => {
      usage.samples++;
      usage.peakUsedBytes = Math.max(usage.peakUsedBytes, metrics.usedSpace);
      usage.peakUsedRatio = Math.max(usage.peakUsedRatio, metrics.usedRatio);
    },
  });
  try {
    const { reservedPerTargetBytes, ...report } = await packageTargets(event, deps);
    await monitor.check(); // the end of the run is always one of the samples
    return { ...report, storage: { ...usage, reservedPerTargetBytes } };
  } finally {
    monitor.stop();
  }
}

async function packageTargets(event: PackagingEvent, deps: PackagingDependencies): Promise<Omit<PackagingReport, 'storage'> & { reservedPerTargetBytes: number }> {
  const manifest = await readManifest(deps, event.trainingJob);
  const stage = stageType(manifest);
  const sizes = await Promise.all(event.targets.map((t) => findCompiledArchive(deps.s3, deps.paths, event.compilationJob, t).then((a) => a.size, () => 0)));
  const plan = planPackaging({
    estimate: { bytes: sizes.reduce((a, b) => a + b, 0) },
    freeBytes: await deps.storage.getReservableSpace(),
    targets: event.targets.length,
    outputOnDisk: (deps.perTargetDiskBytes ?? 0) > 0,
    logger: deps.logger,
  });
  // What each target reserves on the disk: the plan's own figure, from the archives' sizes.
  const reservedPerTargetBytes = deps.perTargetDiskBytes ?? Math.ceil(plan.peakDiskBytes / Math.max(1, plan.concurrency));
  const packaged: PackagedTarget[] = [];
  const failed: FailedTarget[] = [];
  const deferred: string[] = [];

  const runOne = async (target: string, wait: boolean) => {
    const reservation = await deps.storage.reserve(reservedPerTargetBytes, { wait });
    try {
      const started = Date.now();
      const result = await packageTarget({ ...deps, compilationJob: event.compilationJob, target, componentName: event.componentName, componentVersion: event.componentVersion, manifest, stageType: stage, retries: deps.retries });
      deps.metrics?.duration('package-target', Date.now() - started);
      return result;
    } finally {
      reservation.release();
    }
  };

  // Concurrent first; a target refused for space waits for the one-at-a-time pass.
  const concurrent = plan.concurrency > 1 ? event.targets : [];
  const settled = await Promise.allSettled(concurrent.map((target) => runOne(target, false)));
  settled.forEach((outcome, i) => {
    const target = concurrent[i] as string;
    if (outcome.status === 'fulfilled') packaged.push(outcome.value);
    else if (isStorageError(outcome.reason) && outcome.reason.code === 'INSUFFICIENT_STORAGE') deferred.push(target);
    else failed.push(failure(target, 'package', outcome.reason));
  });
  if (plan.concurrency <= 1) deferred.push(...event.targets);
  if (deferred.length > 0 && plan.concurrency > 1) deps.logger.warn('falling back to one target at a time', { targets: deferred });
  for (const target of deferred) {
    try {
      packaged.push(await runOne(target, true));
    } catch (error) {
      failed.push(failure(target, 'package', error));
    }
  }

  const succeeded: SucceededTarget[] = [];
  for (const result of packaged) {
    const recipe = buildRecipe({
      componentName: event.componentName,
      componentVersion: event.componentVersion,
      target: result.target,
      artifactUri: result.uri,
      artifactSha256Base64: result.sha256Base64,
      trainingJob: event.trainingJob,
    });
    try {
      const { arn, alreadyPublished } = await publishRecipe(deps.publisher, recipe, result.written);
      succeeded.push({ ...result, componentName: recipe.ComponentName, ...(arn ? { componentArn: arn } : {}), ...(alreadyPublished ? { alreadyPublished } : {}) });
    } catch (error) {
      failed.push(failure(result.target, 'publish', error));
    }
  }
  for (const f of failed) deps.logger.error('target failed', { ...f });
  if (deps.metrics) {
    deps.metrics.storage(await deps.storage.getMetrics());
    deps.metrics.emit([
      { name: 'PackagedTargets', unit: 'Count', value: succeeded.length },
      { name: 'FailedTargets', unit: 'Count', value: failed.length },
    ]);
  }
  const order = (t: string) => event.targets.indexOf(t);
  const status = failed.length === 0 ? 'SUCCEEDED' : succeeded.length === 0 ? 'FAILED' : 'PARTIAL';
  if (deps.reports) {
    await recordReport(deps.reports, {
      componentName: event.componentName,
      componentVersion: event.componentVersion,
      status,
      targets: event.targets.map((target) => {
        const done = succeeded.find((t) => t.target === target);
        if (done) return { target, status: 'SUCCEEDED', uri: done.uri, sha256: done.sha256, sha256Base64: done.sha256Base64, bytes: done.bytes, digestUri: done.digestUri, written: done.written, componentName: done.componentName };
        return { target, status: 'FAILED', error: failed.find((f) => f.target === target)?.error ?? 'no result' };
      }),
    });
  }
  return {
    status,
    componentName: event.componentName,
    componentVersion: event.componentVersion,
    stageType: stage,
    plan: { strategy: plan.strategy, concurrency: plan.concurrency, reason: plan.reason, sequentialFallback: plan.concurrency > 1 ? deferred : [] },
    succeeded: succeeded.sort((a, b) => order(a.target) - order(b.target)),
    failed: failed.sort((a, b) => order(a.target) - order(b.target)),
    reservedPerTargetBytes,
  };
}
