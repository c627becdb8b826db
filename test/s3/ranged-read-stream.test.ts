// s3RangedReadStream against s3rver, directly and through a proxy that cuts connections
// mid-body and one that throttles: the bytes are always the object's, in order, exactly once.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ExtractionError } from '../../src/errors/index.js';
import { repackage } from '../../src/repackage/index.js';
import { s3RangedReadStream } from '../../src/s3/index.js';
import { KiB, MiB } from '../../src/units.js';
import { buildTar } from '../extract/support/build-archives.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';

let s3: LocalS3;
let root: string;
const bucket = 'ranged';
const object = randomBytes(3 * MiB + 12_345);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A client for `endpoint` that makes one attempt per call, so every retry seen is ours. */
function clientFor(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const isRangedGet = (request: { method?: string; headers: Record<string, unknown> }) => request.method === 'GET' && request.headers.range !== undefined;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(bucket);
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'blob.bin', Body: object }));
  root = await mkdtemp(join(tmpdir(), 'ssa-ranged-'));
});

afterAll(async () => {
  await s3.stop();
  await rm(root, { recursive: true, force: true });
});

describe('s3RangedReadStream', () => {
  it.each([
    [256 * KiB, 1],
    [256 * KiB, 4],
    [1 * MiB, 2],
    [5 * MiB, 3], // one part bigger than the object
    [100_003, 7], // parts that do not divide the size
  ])('returns the object byte for byte (part %i bytes, %i in flight), never more than that many GETs at once', async (partSize, concurrency) => {
    const proxy = await startFaultProxy(s3.endpoint, () => 'pass');
    const client = clientFor(proxy.endpoint);
    try {
      const stream = s3RangedReadStream({ client, bucket, key: 'blob.bin', partSize, concurrency });
      const bytes = await drain(stream);
      expect(bytes.length).toBe(object.length);
      expect(sha256(bytes)).toBe(sha256(object));
      const parts = Math.ceil(object.length / partSize);
      expect(stream.stats).toMatchObject({ size: object.length, requests: parts, retries: 0 });
      expect(proxy.seen.filter((line) => line.startsWith('GET')).length).toBe(parts);
      expect(proxy.maxInFlight).toBeLessThanOrEqual(concurrency);
      if (parts >= concurrency && concurrency > 1) expect(proxy.maxInFlight).toBeGreaterThan(1);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('connections cut mid-body are retried from the part start: identical bytes', async () => {
    // Every third ranged GET loses its connection half-way through the body.
    const proxy = await startFaultProxy(s3.endpoint, (request, n) => (isRangedGet(request) && n % 3 === 1 ? 'cut' : 'pass'));
    const client = clientFor(proxy.endpoint);
    try {
      const stream = s3RangedReadStream({ client, bucket, key: 'blob.bin', partSize: 256 * KiB, concurrency: 3, minRetryDelayMs: 1 });
      expect(sha256(await drain(stream))).toBe(sha256(object));
      expect(proxy.injected.cut).toBeGreaterThan(2);
      expect(stream.stats.retries).toBe(proxy.injected.cut);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('503 SlowDown answers are retried with backoff: identical bytes', async () => {
    let throttled = 0;
    const proxy = await startFaultProxy(s3.endpoint, (request) => (isRangedGet(request) && throttled++ < 4 ? 'throttle' : 'pass'));
    const client = clientFor(proxy.endpoint);
    try {
      const stream = s3RangedReadStream({ client, bucket, key: 'blob.bin', partSize: 1 * MiB, concurrency: 2, minRetryDelayMs: 1 });
      expect(sha256(await drain(stream))).toBe(sha256(object));
      expect(proxy.injected.throttle).toBe(4);
      expect(stream.stats.retries).toBe(4);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('gives up after its retries with the last error, and stops reading', async () => {
    const proxy = await startFaultProxy(s3.endpoint, (request) => (isRangedGet(request) ? 'throttle' : 'pass'));
    const client = clientFor(proxy.endpoint);
    try {
      const stream = s3RangedReadStream({ client, bucket, key: 'blob.bin', partSize: 1 * MiB, concurrency: 1, retries: 2, minRetryDelayMs: 1 });
      const error = await drain(stream).catch((e: unknown) => e);
      expect((error as { name?: string }).name).toBe('SlowDown');
      // Three attempts at the first part (one and two retries), and the read-ahead part's.
      expect(proxy.injected.throttle).toBeLessThanOrEqual(6);
      expect(stream.destroyed).toBe(true);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('an object replaced part-way through fails (If-Match on every GET) instead of mixing two versions', async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'changing.bin', Body: object }));
    const client = clientFor(s3.endpoint);
    try {
      const stream = s3RangedReadStream({ client, bucket, key: 'changing.bin', partSize: 128 * KiB, concurrency: 1 });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect((first.value as Buffer).equals(object.subarray(0, 128 * KiB))).toBe(true);
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'changing.bin', Body: randomBytes(object.length) }));
      const error = await (async () => {
        for (let next = await iterator.next(); !next.done; next = await iterator.next());
      })().catch((e: unknown) => e);
      // S3 answers 412 to the If-Match; s3rver ignores it and the ETag check catches the change.
      // Either way the error is SOURCE_CHANGED, naming both ETags where known.
      expect(error).toBeInstanceOf(ExtractionError);
      expect((error as ExtractionError).reason).toBe('SOURCE_CHANGED');
      expect((error as ExtractionError).message).toContain('changed while it was read');
    } finally {
      client.destroy();
    }
  });

  it('feeds repackage() through a connection-cutting proxy: the same zip as from the local file', async () => {
    const tarGz = gzipSync(await buildTar(Array.from({ length: 40 }, (_, i) => ({ name: `model/part-${i}.bin`, body: i % 2 ? randomBytes(40 * KiB) : Buffer.alloc(40 * KiB, i) }))));
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'model.tar.gz', Body: tarGz }));
    const local = join(root, 'model.tar.gz');
    await writeFile(local, tarGz);
    const expected = await repackage({ source: local, output: join(root, 'from-file.zip'), deterministic: true });
    const proxy = await startFaultProxy(s3.endpoint, (request, n) => (isRangedGet(request) && n % 2 === 0 ? 'cut' : 'pass'));
    const client = clientFor(proxy.endpoint);
    try {
      const source = s3RangedReadStream({ client, bucket, key: 'model.tar.gz', partSize: 64 * KiB, concurrency: 3, minRetryDelayMs: 1 });
      const result = await repackage({ source, output: join(root, 'from-s3.zip'), deterministic: true });
      expect(result.sha256).toBe(expected.sha256);
      expect(proxy.injected.cut).toBeGreaterThan(0);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('refuses a part size or concurrency that cannot work', () => {
    const client = clientFor(s3.endpoint);
    expect(() => s3RangedReadStream({ client, bucket, key: 'blob.bin', partSize: 0 })).toThrow(ConfigurationError);
    expect(() => s3RangedReadStream({ client, bucket, key: 'blob.bin', concurrency: 1.5 })).toThrow(ConfigurationError);
    client.destroy();
  });
});
