// Lambda entry point of the S3 layout migration. Event: { action: plan|migrate|validate|rollback|finalize,
// dryRun?, id? }. Configuration: BUCKET_NAME, TRAINING_JOBS_TABLE, MODELS_TABLE, LOG_LEVEL,
// POWERTOOLS_SERVICE_NAME or SERVICE_NAME.
import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createS3Client } from '../aws/clients.js';
import { createFunctionLogger, serviceName } from '../observe/function-logger.js';
import { parseMigrationEvent, runMigrationAction, type MigrationResult } from '../migration/migration-run.js';

const logger = createFunctionLogger(serviceName('migration'));
const s3 = createS3Client();
const dynamodb = new DynamoDBClient({});

/** The migration handler. */
export async function handler(event: unknown, context: Context): Promise<MigrationResult> {
  const bucket = process.env.BUCKET_NAME;
  if (!bucket) throw new Error('BUCKET_NAME is not set');
  const log = logger.child({ requestId: context.awsRequestId });
  const request = parseMigrationEvent(event);
  const result = await runMigrationAction(request, {
    s3,
    bucket,
    dynamodb,
    tables: { trainingJobs: process.env.TRAINING_JOBS_TABLE, models: process.env.MODELS_TABLE },
    logger: log,
  });
  log.info('migration action finished', { action: result.action, dryRun: result.dryRun });
  return result;
}
