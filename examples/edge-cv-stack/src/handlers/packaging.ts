// Lambda entry point of the packaging function. Event: { trainingJob, compilationJob, targets[],
// componentName, componentVersion } for a whole run in this function, or a workflow step
// ({ step: 'validate' | 'target' | 'report', ... }, see packaging-steps.ts) from the Step
// Functions workflow. Configuration: BUCKET_NAME, MODELS_TABLE (where the packaging report is
// recorded; none when unset), STORAGE_WARNING_RATIO,
// STORAGE_CRITICAL_RATIO, METRICS_NAMESPACE (default EdgeCvStack), LOG_LEVEL,
// POWERTOOLS_SERVICE_NAME or SERVICE_NAME; GREENGRASS_PUBLISH=skip (local mode only: no
// Greengrass runs there) publishes nothing.
import type { Context } from 'aws-lambda';
import { CreateComponentVersionCommand, GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import { MetricsEmitter, S3PathBuilder, StorageManager } from 'storage-safe-archive';
import { createDocumentClient, createS3Client } from '../aws/clients.js';
import { metricsNamespace } from '../observe/emf.js';
import { createFunctionLogger, serviceName } from '../observe/function-logger.js';
import type { ComponentPublisher } from '../packaging/greengrass-recipe.js';
import type { ReportTable } from '../packaging/report-table.js';
import { parsePackagingEvent, runPackaging, type PackagingReport } from '../packaging/packaging-run.js';
import { isPackagingStepEvent, runPackagingStep, type PackagingRunReport, type TargetOutcome, type ValidatedPackaging } from '../packaging/packaging-steps.js';

const service = serviceName('packaging');
const logger = createFunctionLogger(service);
const metrics = new MetricsEmitter({ namespace: metricsNamespace(), service });
const s3 = createS3Client();
let greengrass: GreengrassV2Client | undefined;
let reports: ReportTable | undefined;

function reportTable(): ReportTable | undefined {
  const table = process.env.MODELS_TABLE;
  if (!table) return undefined;
  reports ??= { client: createDocumentClient(), table };
  return reports;
}

/** Greengrass through the SDK; the recipe goes inline. */
const publisher: ComponentPublisher = {
  async createComponentVersion(recipe) {
    if (process.env.GREENGRASS_PUBLISH === 'skip') {
      logger.info('component not published (GREENGRASS_PUBLISH=skip)', { componentName: recipe.ComponentName });
      return {};
    }
    greengrass ??= new GreengrassV2Client({});
    const reply = await greengrass.send(new CreateComponentVersionCommand({ inlineRecipe: Buffer.from(JSON.stringify(recipe)) }));
    return reply.arn ? { arn: reply.arn } : {};
  },
};

/** The packaging handler. */
export async function handler(event: unknown, context: Context): Promise<PackagingReport | ValidatedPackaging | TargetOutcome | PackagingRunReport> {
  const bucket = process.env.BUCKET_NAME;
  if (!bucket) throw new Error('BUCKET_NAME is not set');
  const log = logger.child({ requestId: context.awsRequestId });
  if (isPackagingStepEvent(event)) {
    const storage = new StorageManager({ path: '/tmp', logger: log, metrics });
    return runPackagingStep(event, { s3, paths: new S3PathBuilder({ bucket }), publisher, storage, logger: log, metrics, reports: reportTable() });
  }
  const request = parsePackagingEvent(event);
  // StorageManager reads STORAGE_WARNING_RATIO / STORAGE_CRITICAL_RATIO itself when not given.
  const storage = new StorageManager({ path: '/tmp', logger: log, metrics });
  const report = await runPackaging(request, { s3, paths: new S3PathBuilder({ bucket }), publisher, storage, logger: log, metrics, reports: reportTable() });
  log.info('packaging finished', { status: report.status, succeeded: report.succeeded.map((t) => t.target), failed: report.failed });
  return report;
}
