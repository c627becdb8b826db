// The whole migration against real servers: s3rver (with the fixes in test support) and
// dynalite on loopback. One legacy bucket of more than 1,000 objects and a table referencing
// them go through plan, an aborted migrate, a resumed migrate, validate, a second migrate that
// changes nothing, rollback to the exact original state, and finally migrate + finalize.
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/errors/index.js';
import {
  finalizeMigration,
  formatPlan,
  formatValidation,
  planMigration,
  rollbackMigration,
  runMigration,
  validateMigration,
  type JournalRecord,
  type MigrationOptions,
} from '../../src/s3/index.js';
import { encodeCopySource } from '../../src/s3/migration/s3-objects.js';
import { forEachConcurrent } from '../../src/s3/migration/pool.js';
import { localCredentials, startLocalDynamo, startLocalS3, type LocalDynamo, type LocalS3 } from '../support/s3.js';
import { ATTRIBUTES, MULTIPART_BYTES, TABLE, listing, scanTable, seedLegacyBucket, seedTable, type Seeded } from './seed-legacy-bucket.js';

const BUCKET = 'legacy-bucket';
let s3: LocalS3;
let dynamo: LocalDynamo;
let dynamodb: DynamoDBClient;
let seeded: Seeded;
let originalListing: Awaited<ReturnType<typeof listing>>;
let originalTable: Record<string, unknown>[];

function options(extra: Partial<MigrationOptions> = {}): MigrationOptions {
  return {
    s3: s3.client,
    bucket: BUCKET,
    dynamodb,
    tables: [{ table: TABLE, attributes: ATTRIBUTES }],
    concurrency: 8,
    // Small so that the 12 KiB multipart object is copied with UploadPartCopy.
    multipartThresholdBytes: 8 * 1024,
    partSizeBytes: 5 * 1024,
    retryMinDelayMs: 10,
    ...extra,
  };
}

async function body(key: string): Promise<Buffer> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function journalRecords(id: string): Promise<JournalRecord[]> {
  const text = (await body(`_migrations/${id}/journal.jsonl`)).toString();
  return text.trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
}

const without = (l: { key: string }[]) => l.filter((o) => !o.key.startsWith('_migrations/'));

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3(), startLocalDynamo()]);
  dynamodb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: localCredentials });
  await s3.createBucket(BUCKET);
  seeded = await seedLegacyBucket(s3.client, BUCKET);
  await seedTable(dynamodb, BUCKET, seeded);
  originalListing = await listing(s3.client, BUCKET);
  originalTable = await scanTable(dynamodb);
});

afterAll(async () => {
  dynamodb?.destroy();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

describe('S3 layout migration on a legacy bucket', () => {
  let firstId: string;
  let copiedBeforeAbort = 0;

  it('seeds more than 1,000 objects', () => {
    expect(originalListing.length).toBe(seeded.keys.length);
    expect(originalListing.length).toBeGreaterThanOrEqual(1000);
    expect(originalListing.some((o) => o.key.includes('//'))).toBe(true);
  });

  it('plans every move, the keys in place and the orphans', async () => {
    const plan = await planMigration(options());
    expect(plan.counts).toEqual({
      total: seeded.keys.length,
      toMove: seeded.moves.size,
      inPlace: seeded.inPlace.length,
      alreadyCopied: 0,
      conflicts: 0,
      orphans: seeded.orphans.length,
    });
    expect(new Map(plan.moves.map((m) => [m.source, m.target]))).toEqual(seeded.moves);
    expect([...plan.orphans].sort()).toEqual([...seeded.orphans].sort());
    expect(formatPlan(plan)).toContain(`to move: ${seeded.moves.size}, in place: ${seeded.inPlace.length}`);
  });

  it('writes nothing in a dry run', async () => {
    const report = await runMigration(options({ dryRun: true }));
    expect(report.copied).toBe(seeded.moves.size);
    expect(report.references.length).toBeGreaterThan(0);
    expect(await listing(s3.client, BUCKET)).toEqual(originalListing);
    expect(await scanTable(dynamodb)).toEqual(originalTable);
  });

  it('stops when aborted half-way, leaving a resumable journal', async () => {
    const controller = new AbortController();
    const half = Math.floor(seeded.moves.size / 2);
    const run = runMigration(
      options({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.currentPhase === 'copying' && p.filesProcessed >= half) controller.abort(new Error('test abort'));
        },
      }),
    );
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).details.reason).toBe('ABORTED');
    firstId = (error as MigrationError).details.id as string;
    copiedBeforeAbort = (error as MigrationError).details.copied as number;
    expect(copiedBeforeAbort).toBeGreaterThanOrEqual(half);
    expect(copiedBeforeAbort).toBeLessThan(seeded.moves.size);
    const keys = new Set((await listing(s3.client, BUCKET)).map((o) => o.key));
    const present = [...seeded.moves.values()].filter((t) => keys.has(t)).length;
    expect(present).toBeLessThan(seeded.moves.size);
    // Nothing was repointed yet, and validation says the migration is unfinished.
    expect(await scanTable(dynamodb)).toEqual(originalTable);
    const validation = await validateMigration(options());
    expect(validation.ok).toBe(false);
    expect(validation.problems.some((p) => p.kind === 'missing')).toBe(true);
  });

  it('resumes the interrupted migration: every object once at its new key, byte-identical, references updated', async () => {
    const report = await runMigration(options());
    expect(report.id).toBe(firstId);
    expect(report.resumed).toBe(true);
    // Only copies in flight at the abort may be found already present; nothing is copied twice.
    expect(report.alreadyPresent).toBeLessThanOrEqual(8);
    expect(copiedBeforeAbort + report.copied + report.alreadyPresent).toBe(seeded.moves.size);

    const records = await journalRecords(firstId);
    const copied = records.flatMap((r) => (r.type === 'copied' ? [r] : []));
    expect(copied.length).toBe(seeded.moves.size);
    expect(new Set(copied.map((r) => r.source)).size).toBe(seeded.moves.size);
    expect(copied.find((r) => r.source === seeded.multipartKey)?.method).toBe('multipart');

    const after = await listing(s3.client, BUCKET);
    const keys = after.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    const present = new Set(keys);
    // Byte-identical: every copy's bytes are exactly what the seed wrote at its legacy key.
    await forEachConcurrent([...seeded.moves], 16, async ([source, target]) => {
      expect(present.has(target)).toBe(true);
      expect((await body(target)).equals(seeded.bodies.get(source)!)).toBe(true);
    });
    // Originals stay until finalize.
    for (const o of originalListing) expect(present.has(o.key)).toBe(true);
    const big = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: seeded.moves.get(seeded.multipartKey)! }));
    expect(big.ContentLength).toBe(MULTIPART_BYTES);
    expect(big.ContentType).toBe('application/gzip');
    expect(big.Metadata).toEqual({ big: 'yes' });
    const small = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'models/training/train-3/output/model.tar.gz' }));
    expect(small.ContentType).toBe('application/gzip');
    expect(small.Metadata).toEqual({ 'job-name': 'train-3', note: 'keep me' });

    const uri = (key: string) => `s3://${BUCKET}/${key}`;
    const table = await scanTable(dynamodb);
    const before = new Map(originalTable.map((i) => [i.id, i]));
    for (const item of table) {
      const old = before.get(item.id) as Record<string, any>;
      const it = item as Record<string, any>;
      expect(it.artifact_s3).toBe(uri(seeded.moves.get(old.artifact_s3.slice(`s3://${BUCKET}/`.length))!));
      expect(it.notes_s3).toBe(old.notes_s3); // not a named attribute
      expect(it.dataset_manifest_s3).toBe(old.dataset_manifest_s3); // in place already
      it.compilation_jobs.forEach((job: Record<string, string>, i: number) => {
        expect(job.compiled_model_s3).toBe(uri(seeded.moves.get(old.compilation_jobs[i].compiled_model_s3.slice(`s3://${BUCKET}/`.length))!));
        expect(job.target).toBe(old.compilation_jobs[i].target);
      });
      it.packaged_components.forEach((c: Record<string, string>, i: number) => {
        expect(c.component_package_s3).toMatch(/^s3:\/\/legacy-bucket\/deployments\/model-\d+\//);
        expect(c.version).toBe(old.packaged_components[i].version);
      });
    }
    const updates = records.filter((r) => r.type === 'reference-updated');
    expect(updates.length).toBe(report.references.length);
    expect(records.at(-1)?.type).toBe('completed');
  });

  it('validates clean, reporting orphans without failing', async () => {
    const report = await validateMigration(options());
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checkedObjects).toBe(seeded.moves.size);
    expect(report.checkedReferences).toBeGreaterThan(300);
    expect([...report.orphans].sort()).toEqual([...seeded.orphans].sort());
    expect(formatValidation(report)).toMatch(/^OK/);
  });

  it('changes nothing on a second migrate', async () => {
    const bucketBefore = await listing(s3.client, BUCKET);
    const tableBefore = await scanTable(dynamodb);
    const report = await runMigration(options());
    expect(report.id).toBeUndefined();
    expect(report.copied).toBe(0);
    expect(report.references).toEqual([]);
    expect(report.plan.counts.alreadyCopied).toBe(seeded.moves.size);
    expect(await listing(s3.client, BUCKET)).toEqual(bucketBefore);
    expect(await scanTable(dynamodb)).toEqual(tableBefore);
  });

  it('rolls back to the exact original bucket listing and table contents', async () => {
    const dry = await rollbackMigration(options({ dryRun: true }));
    expect(dry.copiesRemoved).toBe(seeded.moves.size);
    const report = await rollbackMigration(options());
    expect(report.id).toBe(firstId);
    expect(report.copiesKept).toEqual([]);
    expect(report.copiesRemoved).toBe(seeded.moves.size);
    expect(await listing(s3.client, BUCKET)).toEqual(originalListing);
    expect(await scanTable(dynamodb)).toEqual(originalTable);
  });

  it('plans every move again after the rollback', async () => {
    const plan = await planMigration(options());
    expect(plan.counts.toMove).toBe(seeded.moves.size);
  });
});

describe('finalize', () => {
  it('refuses while a copy is missing (deleting nothing), then deletes only the originals', async () => {
    const bucket = 'finalize-bucket';
    await s3.createBucket(bucket);
    const small = await seedLegacyBucket(s3.client, bucket, { scale: 0.05 });
    const o: MigrationOptions = { s3: s3.client, bucket, multipartThresholdBytes: 8 * 1024, partSizeBytes: 5 * 1024 };
    const report = await runMigration(o);
    expect(report.copied).toBe(small.moves.size);
    const target = small.moves.get(small.multipartKey)!;
    await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: target }));
    const before = await listing(s3.client, bucket);
    const refused = await finalizeMigration(o).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MigrationError);
    expect((refused as MigrationError).message).toContain('nothing was deleted');
    expect(await listing(s3.client, bucket)).toEqual(before);

    await s3.client.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: encodeCopySource(bucket, small.multipartKey) }));
    const dry = await finalizeMigration({ ...o, dryRun: true });
    expect(dry.originalsDeleted).toBe(small.moves.size);
    expect(await listing(s3.client, bucket)).toEqual(await listing(s3.client, bucket));
    const done = await finalizeMigration(o);
    expect(done.originalsDeleted).toBe(small.moves.size);
    const keys = new Set(without(await listing(s3.client, bucket)).map((x) => x.key));
    for (const [source, newKey] of small.moves) {
      expect(keys.has(source)).toBe(false);
      expect(keys.has(newKey)).toBe(true);
    }
    for (const k of [...small.orphans, ...small.inPlace]) expect(keys.has(k)).toBe(true);
    expect((await validateMigration(o)).ok).toBe(true);
    await expect(rollbackMigration(o)).rejects.toThrow(/finalized/);
  });
});

describe('rollback of an interrupted migration', () => {
  it('restores the bucket exactly, and the next migrate starts afresh', async () => {
    const bucket = 'abort-rollback';
    await s3.createBucket(bucket);
    const small = await seedLegacyBucket(s3.client, bucket, { scale: 0.1 });
    const before = await listing(s3.client, bucket);
    const controller = new AbortController();
    const o: MigrationOptions = { s3: s3.client, bucket, concurrency: 4 };
    const error = await runMigration({
      ...o,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.filesProcessed >= 10) controller.abort(new Error('test abort'));
      },
    }).catch((e: unknown) => e);
    expect((error as MigrationError).details.reason).toBe('ABORTED');
    expect((await listing(s3.client, bucket)).length).toBeGreaterThan(before.length);
    const report = await rollbackMigration(o);
    expect(report.copiesRemoved).toBeGreaterThanOrEqual(10);
    expect(await listing(s3.client, bucket)).toEqual(before);
    const again = await runMigration(o);
    expect(again.resumed).toBe(false);
    expect(again.copied).toBe(small.moves.size);
  });
});

describe('conflicts', () => {
  it('reports two sources for one target and a target with other content, and migrate refuses', async () => {
    const bucket = 'conflicts';
    await s3.createBucket(bucket);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const put = (Key: string, Body: string) => s3.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    await put('datasets/a/training-output/j1/output/model.tar.gz', 'one');
    await put('datasets/b/training-output/j1/output/model.tar.gz', 'two');
    await put('model_artifacts/model-7/c.zip', 'old');
    await put('deployments/model-7/c.zip', 'different');
    const o = { s3: s3.client, bucket };
    const plan = await planMigration(o);
    expect(plan.conflicts).toEqual([
      { target: 'deployments/model-7/c.zip', sources: ['model_artifacts/model-7/c.zip'], reason: 'target-differs' },
      {
        target: 'models/training/j1/output/model.tar.gz',
        sources: ['datasets/a/training-output/j1/output/model.tar.gz', 'datasets/b/training-output/j1/output/model.tar.gz'],
        reason: 'multiple-sources',
      },
    ]);
    expect(plan.counts.conflicts).toBe(3);
    const before = await listing(s3.client, bucket);
    await expect(runMigration(o)).rejects.toThrow(MigrationError);
    expect(await listing(s3.client, bucket)).toEqual(before);
  });
});
