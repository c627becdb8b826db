// The `storage-safe-archive s3 …` command against s3rver and dynalite, with injected streams.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runS3Command } from '../../src/cli/s3-command.js';
import type { MigrationPlan, ValidationReport } from '../../src/s3/index.js';
import { localCredentials, startLocalDynamo, startLocalS3, type LocalDynamo, type LocalS3 } from '../support/s3.js';
import { ATTRIBUTES, TABLE, scanTable, seedLegacyBucket, seedTable, type Seeded } from './seed-legacy-bucket.js';

const BUCKET = 'cli-bucket';
let s3: LocalS3;
let dynamo: LocalDynamo;
let dynamodb: DynamoDBClient;
let seeded: Seeded;

function capture() {
  let text = '';
  return { write: (t: string) => ((text += t), true), get text() { return text; } };
}

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const stdout = capture();
  const stderr = capture();
  const code = await runS3Command(argv, { stdout, stderr, env: { AWS_REGION: 'us-east-1', ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

beforeAll(async () => {
  // The CLI builds its own clients from the standard credential chain.
  process.env.AWS_ACCESS_KEY_ID = localCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = localCredentials.secretAccessKey;
  [s3, dynamo] = await Promise.all([startLocalS3(), startLocalDynamo()]);
  dynamodb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: localCredentials });
  await s3.createBucket(BUCKET);
  seeded = await seedLegacyBucket(s3.client, BUCKET, { scale: 0.1 });
  await seedTable(dynamodb, BUCKET, seeded);
});

afterAll(async () => {
  dynamodb?.destroy();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

describe('storage-safe-archive s3', () => {
  it('plan --json prints the plan with its counts', async () => {
    const { code, stdout, stderr } = await run(['plan', '--bucket', BUCKET, '--endpoint', s3.endpoint, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as MigrationPlan;
    expect(plan.counts).toMatchObject({ toMove: seeded.moves.size, inPlace: seeded.inPlace.length, conflicts: 0, orphans: seeded.orphans.length });
    expect(new Map(plan.moves.map((m) => [m.source, m.target]))).toEqual(seeded.moves);
  });

  it('plan prints the counts as text, taking the endpoint from AWS_ENDPOINT_URL_S3', async () => {
    const { code, stdout } = await run(['plan', '--bucket', BUCKET], { AWS_ENDPOINT_URL_S3: s3.endpoint });
    expect(code).toBe(0);
    expect(stdout).toContain(`to move: ${seeded.moves.size}, in place: ${seeded.inPlace.length}, already copied: 0, conflicts: 0, orphans: ${seeded.orphans.length}`);
  });

  it('migrate --dry-run writes nothing; migrate, validate and rollback run end to end', async () => {
    const refs = ['--table', TABLE, ...ATTRIBUTES.flatMap((a) => ['--attribute', a]), '--dynamodb-endpoint', dynamo.endpoint];
    const common = ['--bucket', BUCKET, '--endpoint', s3.endpoint, ...refs];
    const tableBefore = await scanTable(dynamodb);
    const dry = await run(['migrate', ...common, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`[dry run]`);
    expect(dry.stdout).toContain(`would copy ${seeded.moves.size} objects`);
    expect(await scanTable(dynamodb)).toEqual(tableBefore);

    const migrated = await run(['migrate', ...common]);
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toContain(`copied ${seeded.moves.size} objects`);
    const validated = await run(['validate', ...common, '--json']);
    expect(validated.stdout).not.toContain('dangling');
    expect(validated.code).toBe(0);
    expect((JSON.parse(validated.stdout) as ValidationReport).ok).toBe(true);

    // A reference to an object that does not exist makes validate fail with exit code 1.
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tmp/x', Body: 'x' }));
    const { DynamoDBDocumentClient, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await DynamoDBDocumentClient.from(dynamodb).send(
      new UpdateCommand({ TableName: TABLE, Key: { id: 'item-0' }, UpdateExpression: 'SET artifact_s3 = :v', ExpressionAttributeValues: { ':v': `s3://${BUCKET}/missing/key` } }),
    );
    const failed = await run(['validate', ...common]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^FAILED/);
    expect(failed.stdout).toContain('dangling-reference');

    const rolled = await run(['rollback', ...common]);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(/rollback of \S+: \d+ reference\(s\) restored, \d+ copies removed/);
  });

  it('answers bad usage with exit code 2 and the usage text', async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: storage-safe-archive s3');
    const noBucket = await run(['plan']);
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain('--bucket is required');
    const unknown = await run(['plan', '--bucket', 'b', '--nope']);
    expect(unknown.code).toBe(2);
    const tableOnly = await run(['plan', '--bucket', 'b', '--table', 't']);
    expect(tableOnly.code).toBe(2);
    const badConcurrency = await run(['plan', '--bucket', 'b', '--concurrency', 'many']);
    expect(badConcurrency.code).toBe(2);
    expect(badConcurrency.stderr).toContain('--concurrency');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dynamodb-endpoint');
  });

  it('reports a failed step with exit code 1 and JSON on stdout', async () => {
    const { code, stdout, stderr } = await run(['finalize', '--bucket', 'no-such-migrations', '--endpoint', s3.endpoint, '--json']);
    expect(code).toBe(1);
    expect(stderr).toContain('storage-safe-archive s3 finalize:');
    expect(JSON.parse(stdout).error).toBeDefined();
  });
});
