// A migrate killed with SIGKILL (no chance to flush its journal) resumes from the bucket's
// journal, and repeats at most the copies that were in flight: copies it made but had not yet
// journalled are found, verified and recorded as `existing`, never copied again.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMigration, validateMigration, type JournalRecord } from '../../src/s3/index.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';
import { listing, seedLegacyBucket, type Seeded } from './seed-legacy-bucket.js';

const BUCKET = 'sigkill';
const CHILD = fileURLToPath(new URL('./fixtures/migrate-child.ts', import.meta.url));
let s3: LocalS3;
let seeded: Seeded;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  seeded = await seedLegacyBucket(s3.client, BUCKET, { scale: 0.2 });
});
afterAll(async () => {
  await s3.stop();
});

function killAfter(copies: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, s3.endpoint, BUCKET], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = 0;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      for (const m of text.matchAll(/copied (\d+)/g)) last = Number(m[1]);
      if (last >= copies && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error(`child exited ${code} before it was killed`))));
  });
}

it('resumes after SIGKILL without copying anything twice', async () => {
  const total = seeded.moves.size;
  const copiedByChild = await killAfter(Math.floor(total / 2));
  expect(copiedByChild).toBeLessThan(total);

  const report = await runMigration({ s3: s3.client, bucket: BUCKET, concurrency: 4 });
  expect(report.resumed).toBe(true);
  // Everything the killed run finished was either journalled or is found and verified now;
  // only its in-flight copies (at most its concurrency) can be made again.
  expect(report.copied).toBeLessThanOrEqual(total - copiedByChild + 4);
  expect(report.copied + report.alreadyPresent).toBeLessThanOrEqual(total);

  const text = await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `_migrations/${report.id}/journal.jsonl` }))).Body!.transformToString();
  const copied = text.trim().split('\n').map((l) => JSON.parse(l) as JournalRecord).flatMap((r) => (r.type === 'copied' ? [r] : []));
  expect(copied.length).toBe(total);
  expect(new Set(copied.map((r) => r.source)).size).toBe(total);
  const keys = new Set((await listing(s3.client, BUCKET)).map((o) => o.key));
  for (const target of seeded.moves.values()) expect(keys.has(target)).toBe(true);
  expect((await validateMigration({ s3: s3.client, bucket: BUCKET })).ok).toBe(true);
});
