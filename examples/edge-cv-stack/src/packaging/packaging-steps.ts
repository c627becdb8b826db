// The packaging Lambda's three entry points for the Step Functions workflow (issue 16): `validate`
// checks the request and reads the model's metadata once, returning one map item per target;
// `target` packages and publishes one target (a failure throws, so the map's retries and its
// tolerated-failure threshold apply); `report` gathers the map's results, written to S3 by the
// map's ResultWriter or, under the local executor, passed inline, and writes the packaging report.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { buildRecipe, publishRecipe } from './greengrass-recipe.js';
import { packageTarget, type UploadStats } from './package-target.js';
import { stageType } from './dda-manifest.js';
import { PackagingEventError, parsePackagingEvent, readManifest, type PackagingDependencies, type PackagingEvent } from './packaging-run.js';
import { readMapResults, type MapItemResult } from './map-results.js';
import { recordReport } from './report-table.js';

/** One map item: the request without the target list, plus one target. */
export type PackagingItem = Omit<PackagingEvent, 'targets'> & { target: string };

/** What `validate` returns: the checked request and the map's items. */
export interface ValidatedPackaging {
  /** The request, checked. */
  request: PackagingEvent;
  /** One item per target, in request order. */
  items: PackagingItem[];
}

/** What `target` returns for a packaged and published target. */
export interface TargetOutcome {
  /** The target. */
  target: string;
  /** Always `SUCCEEDED` (a failure throws). */
  status: 'SUCCEEDED';
  /** The zip's key. */
  key: string;
  /** `s3://bucket/key`. */
  uri: string;
  /** Zip size. */
  bytes: number;
  /** SHA-256 of the zip (hex). */
  sha256: string;
  /** The same digest in base64, as the recipe's `Digest`. */
  sha256Base64: string;
  /** `s3://…/<zip>.sha256`. */
  digestUri: string;
  /** False when the same bytes were already published at the key and nothing was written. */
  written: boolean;
  /** Seconds spent packaging and publishing. */
  seconds: number;
  /** The Greengrass component. */
  componentName: string;
  /** Its ARN, when Greengrass returned one (none in local mode). */
  componentArn?: string;
  /** Parts sent and parts kept from a failed attempt, when this run wrote the zip. */
  upload?: UploadStats;
}

/** One row of the packaging report. */
export interface ReportRow {
  /** The target. */
  target: string;
  /** `SUCCEEDED`, `FAILED`, or `MISSING` (the map produced no result for it). */
  status: 'SUCCEEDED' | 'FAILED' | 'MISSING';
  /** The zip's key, when packaged. */
  key?: string;
  /** Zip size, when packaged. */
  bytes?: number;
  /** SHA-256 of the zip, when packaged. */
  sha256?: string;
  /** The same digest in base64 (the recipe's `Digest`), when packaged. */
  sha256Base64?: string;
  /** `s3://…/<zip>.sha256`, when packaged. */
  digestUri?: string;
  /** False when a repeated run found the same bytes published and wrote nothing. */
  written?: boolean;
  /** Seconds the target took, when packaged. */
  seconds?: number;
  /** The Greengrass component, when published. */
  componentName?: string;
  /** Parts sent and parts kept from a failed attempt, when the zip was written. */
  upload?: UploadStats;
  /** The error, when it failed. */
  error?: string;
}

/** The packaging report the workflow's last step writes. */
export interface PackagingRunReport {
  /** `SUCCEEDED` (every target), `PARTIAL` (within the tolerated failures) or `FAILED`. */
  status: 'SUCCEEDED' | 'PARTIAL' | 'FAILED';
  /** The execution the report belongs to. */
  executionName: string;
  /** Component name and version as requested. */
  componentName: string;
  /** Component version. */
  componentVersion: string;
  /** Where the report was written. */
  reportUri: string;
  /** Where the map wrote its raw results (absent under the local executor). */
  mapResultsUri?: string;
  /** Why the map itself failed, when it did (e.g. States.ExceedToleratedFailureThreshold). */
  mapError?: string;
  /** One row per requested target, in request order. */
  targets: ReportRow[];
}

/** The events the workflow sends. */
export type PackagingStepEvent =
  | { step: 'validate'; request: unknown }
  | { step: 'target'; item: unknown }
  | { step: 'report'; request: unknown; results?: unknown; executionName: string; mapError?: { Error?: string; Cause?: string } };

/** True when `event` is a workflow step rather than a whole-run event. */
export function isPackagingStepEvent(event: unknown): event is PackagingStepEvent {
  const step = (event as { step?: unknown } | null)?.step;
  return step === 'validate' || step === 'target' || step === 'report';
}

function parseItem(item: unknown): PackagingItem {
  const { target, ...rest } = (item ?? {}) as Record<string, unknown>;
  const request = parsePackagingEvent({ ...rest, targets: [target] });
  const { targets, ...common } = request;
  return { ...common, target: targets[0] as string };
}

/** `validate`: the request checked and the training metadata readable, before any target starts. */
export async function validatePackaging(request: unknown, deps: PackagingDependencies): Promise<ValidatedPackaging> {
  const checked = parsePackagingEvent(request);
  await readManifest(deps, checked.trainingJob);
  const { targets, ...common } = checked;
  return { request: checked, items: targets.map((target) => ({ ...common, target })) };
}

/** `target`: packages one target and publishes its component; throws on failure. */
export async function packageOneTarget(item: unknown, deps: PackagingDependencies): Promise<TargetOutcome> {
  const job = parseItem(item);
  const started = Date.now();
  const manifest = await readManifest(deps, job.trainingJob);
  const packaged = await packageTarget({
    s3: deps.s3,
    paths: deps.paths,
    compilationJob: job.compilationJob,
    target: job.target,
    componentName: job.componentName,
    componentVersion: job.componentVersion,
    manifest,
    stageType: stageType(manifest),
    logger: deps.logger,
    ...(deps.retries === undefined ? {} : { retries: deps.retries }),
  });
  const recipe = buildRecipe({
    componentName: job.componentName,
    componentVersion: job.componentVersion,
    target: job.target,
    artifactUri: packaged.uri,
    artifactSha256Base64: packaged.sha256Base64,
    trainingJob: job.trainingJob,
  });
  const { arn } = await publishRecipe(deps.publisher, recipe, packaged.written);
  const seconds = (Date.now() - started) / 1000;
  deps.metrics?.duration('package-target', seconds * 1000);
  return {
    target: job.target,
    status: 'SUCCEEDED',
    key: packaged.key,
    uri: packaged.uri,
    bytes: packaged.bytes,
    sha256: packaged.sha256,
    sha256Base64: packaged.sha256Base64,
    digestUri: packaged.digestUri,
    written: packaged.written,
    seconds,
    componentName: recipe.ComponentName,
    ...(arn ? { componentArn: arn } : {}),
    ...(packaged.upload ? { upload: packaged.upload } : {}),
  };
}

function rowOf(target: string, result: MapItemResult | undefined): ReportRow {
  if (!result) return { target, status: 'MISSING' };
  if (result.status === 'FAILED') return { target, status: 'FAILED', error: result.error };
  const o = result.output as Partial<TargetOutcome>;
  return {
    target,
    status: 'SUCCEEDED',
    key: o.key,
    bytes: o.bytes,
    sha256: o.sha256,
    sha256Base64: o.sha256Base64,
    digestUri: o.digestUri,
    written: o.written,
    seconds: o.seconds,
    componentName: o.componentName,
    ...(o.upload ? { upload: o.upload } : {}),
  };
}

/** `report`: one row per target from the map's results, written to `deployments/<component>/reports/<execution>.json`. */
export async function writePackagingReport(event: Extract<PackagingStepEvent, { step: 'report' }>, deps: PackagingDependencies): Promise<PackagingRunReport> {
  const request = parsePackagingEvent(event.request);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(event.executionName ?? '')) throw new PackagingEventError(`"executionName" ${JSON.stringify(event.executionName)} must be a Step Functions execution name`);
  const { results, location } = event.results === undefined ? { results: [], location: undefined } : await readMapResults(event.results, deps.s3);
  const byTarget = new Map<string, MapItemResult>();
  for (const result of results) if (result.target) byTarget.set(result.target, result);
  const targets = request.targets.map((target) => rowOf(target, byTarget.get(target)));
  const succeeded = targets.filter((t) => t.status === 'SUCCEEDED').length;
  const mapError = event.mapError ? `${event.mapError.Error ?? 'Error'}: ${event.mapError.Cause ?? ''}`.trim() : undefined;
  const key = deps.paths.deployment(request.componentName, 'reports', `${event.executionName}.json`);
  const report: PackagingRunReport = {
    status: mapError || succeeded === 0 ? 'FAILED' : succeeded === targets.length ? 'SUCCEEDED' : 'PARTIAL',
    executionName: event.executionName,
    componentName: request.componentName,
    componentVersion: request.componentVersion,
    reportUri: deps.paths.toUri(key),
    ...(location ? { mapResultsUri: location } : {}),
    ...(mapError ? { mapError } : {}),
    targets,
  };
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.paths.bucket, Key: key, Body: `${JSON.stringify(report, null, 2)}\n`, ContentType: 'application/json' }));
  if (deps.reports) {
    await recordReport(deps.reports, {
      componentName: report.componentName,
      componentVersion: report.componentVersion,
      status: report.status,
      reportUri: report.reportUri,
      executionName: report.executionName,
      targets: targets.map((t) => ({ ...t, ...(t.key ? { uri: deps.paths.toUri(t.key) } : {}) })),
    });
  }
  deps.logger.info('packaging report written', { status: report.status, reportUri: report.reportUri, succeeded, targets: targets.length });
  return report;
}

/** Runs one workflow step. */
export async function runPackagingStep(event: PackagingStepEvent, deps: PackagingDependencies): Promise<ValidatedPackaging | TargetOutcome | PackagingRunReport> {
  if (event.step === 'validate') return validatePackaging(event.request, deps);
  if (event.step === 'target') return packageOneTarget(event.item, deps);
  return writePackagingReport(event, deps);
}
