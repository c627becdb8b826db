import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/local/local-dynamo.js';
import { parseMigrationEvent, runMigrationAction, type MigrationDependencies } from '../../src/migration/migration-run.js';

const BUCKET = 'migration-test-bucket';
const TABLE = 'migration-test-training-jobs';
const LEGACY = {
  trained: 'datasets/cam-a/training-output/unet-1/output/model.tar.gz',
  compiled: 'datasets/cam-a/compilation-output/neo-1/model-jetson_xavier.tar.gz',
};

let s3: LocalS3;
let dynamo: LocalDynamo;
let dynamodb: DynamoDBClient;
let deps: MigrationDependencies;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3({ buckets: [BUCKET] }), startLocalDynamo()]);
  dynamodb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { ...LOCAL_CREDENTIALS } });
  for (const key of Object.values(LEGACY)) await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `bytes of ${key}` }));
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'job_name', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'job_name', KeyType: 'HASH' }],
    }),
  );
  await dynamodb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        job_name: { S: 'unet-1' },
        artifact_s3: { S: `s3://${BUCKET}/${LEGACY.trained}` },
        compilation_jobs: { L: [{ M: { compiled_model_s3: { S: `s3://${BUCKET}/${LEGACY.compiled}` } } }] },
      },
    }),
  );
  deps = { s3: s3.client, bucket: BUCKET, dynamodb, tables: { trainingJobs: TABLE } };
});
afterAll(async () => {
  dynamodb?.destroy();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

async function exists(key: string): Promise<boolean> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('migration Lambda', () => {
  it('plans the moves of the legacy keys', async () => {
    const result = await runMigrationAction(parseMigrationEvent({ action: 'plan' }), deps);
    expect(result.dryRun).toBe(true);
    expect(result.report).toMatchObject({ counts: { toMove: 2, conflicts: 0 } });
    expect(result.summary).toContain('models/training/unet-1/output/model.tar.gz');
  });

  it('treats migrate without dryRun as a dry run, then migrates objects and references with dryRun: false', async () => {
    const dry = await runMigrationAction(parseMigrationEvent({ action: 'migrate' }), deps);
    expect(dry.dryRun).toBe(true);
    expect(await exists('models/training/unet-1/output/model.tar.gz')).toBe(false);

    const real = await runMigrationAction(parseMigrationEvent({ action: 'migrate', dryRun: false }), deps);
    expect(real.report).toMatchObject({ copied: 2, dryRun: false });
    expect(await exists('models/training/unet-1/output/model.tar.gz')).toBe(true);
    expect(await exists('models/compilation/neo-1/jetson_xavier/model-jetson_xavier.tar.gz')).toBe(true);
    const item = await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { job_name: { S: 'unet-1' } } }));
    expect(item.Item?.artifact_s3?.S).toBe(`s3://${BUCKET}/models/training/unet-1/output/model.tar.gz`);

    const validation = await runMigrationAction(parseMigrationEvent({ action: 'validate' }), deps);
    expect(validation.report).toMatchObject({ ok: true });
  });

  it('refuses unknown actions and a non-boolean dryRun', () => {
    expect(() => parseMigrationEvent({ action: 'explode' })).toThrow(/must be one of plan, migrate, validate, rollback, finalize/);
    expect(() => parseMigrationEvent({ action: 'migrate', dryRun: 'no' })).toThrow(/dryRun/);
  });
});
