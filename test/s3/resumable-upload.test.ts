// s3ResumableUploadStream against s3rver, directly and through a proxy that cuts an upload
// mid-part and one that throttles: a failed attempt leaves its upload open, the next attempt
// sends only the parts S3 lacks (or holds with other bytes), and the object is always exactly
// the bytes of the attempt that completed it, with no multipart upload left behind.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionError, ConfigurationError } from '../../src/errors/index.js';
import { findOpenUpload, s3ResumableUploadStream, type S3ResumableUploadOptions } from '../../src/s3/index.js';
import { MiB } from '../../src/units.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { localCredentials, startLocalS3, type LocalS3 } from '../support/s3.js';

let s3: LocalS3;
const bucket = 'resumable';
const PART = 5 * MiB;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A client for `endpoint`; `maxAttempts: 1` makes a cut fail the call instead of the SDK retrying it. */
function clientFor(endpoint: string, maxAttempts = 1): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: localCredentials,
    maxAttempts,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Writes `data` in 256 KiB chunks, as a zipper would. */
async function upload(data: Buffer, options: Omit<S3ResumableUploadOptions, 'bucket'>) {
  const stream = s3ResumableUploadStream({ bucket, partSize: PART, queueSize: 1, ...options });
  const chunks = function* () {
    for (let at = 0; at < data.length; at += 256 * 1024) yield data.subarray(at, at + 256 * 1024);
  };
  try {
    await pipeline(Readable.from(chunks()), stream);
    return { stream, result: await stream.done(), error: undefined };
  } catch (error) {
    return { stream, result: undefined, error: error as Error };
  }
}

async function objectBytes(key: string): Promise<Buffer> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function openUploads(): Promise<string[]> {
  const listing = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (listing.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

const isUploadPart = (n: number) => (request: { method?: string; url?: string }) => request.method === 'PUT' && (request.url ?? '').includes(`partNumber=${n}&`);

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(bucket);
});

afterAll(async () => {
  await s3.stop();
});

describe('s3ResumableUploadStream', () => {
  it('uploads in parts and leaves no open upload', async () => {
    const data = randomBytes(2 * PART + 1234);
    const { result, error } = await upload(data, { client: s3.client, key: 'plain.bin' });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ bucket, key: 'plain.bin', partsUploaded: 3, partsReused: 0, bytesUploaded: data.length });
    expect(sha256(await objectBytes('plain.bin'))).toBe(sha256(data));
    expect(await openUploads()).toEqual([]);
  });

  it('an object smaller than one part (here empty) is one PutObject, with no multipart upload', async () => {
    const { stream, result } = await upload(Buffer.alloc(0), { client: s3.client, key: 'empty.bin' });
    expect(result).toMatchObject({ uploadId: '', partsUploaded: 1 });
    expect(stream.uploadId).toBeUndefined();
    expect((await objectBytes('empty.bin')).length).toBe(0);
    expect(await openUploads()).toEqual([]);
  });

  it('resumes an upload cut mid-part: only the missing parts are sent, the bytes are identical', async () => {
    const data = randomBytes(4 * PART + 777);
    const key = 'models/cut.zip';
    const proxy = await startFaultProxy(s3.endpoint, (request) => (isUploadPart(4)(request) ? 'cut-request' : 'pass'));
    const flaky = clientFor(proxy.endpoint);
    try {
      const first = await upload(data, { client: flaky, key });
      expect(proxy.injected.cutRequest).toBe(1);
      expect(first.error).toBeInstanceOf(CompressionError);
      expect((first.error as CompressionError).reason).toBe('WRITE_FAILED');
      const uploadId = first.stream.uploadId!;
      expect(uploadId).toMatch(/\S/);
      // The failed attempt kept its upload, holding the three whole parts it sent (not the cut one).
      expect(await findOpenUpload({ client: s3.client, bucket, key })).toBe(uploadId);
      const parts = await s3.client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      expect((parts.Parts ?? []).map((p) => [p.PartNumber, p.Size])).toEqual([
        [1, PART],
        [2, PART],
        [3, PART],
      ]);

      const second = await upload(data, { client: s3.client, key, uploadId });
      expect(second.error).toBeUndefined();
      expect(second.result).toMatchObject({ uploadId, partsReused: 3, partsUploaded: 2, bytesUploaded: PART + 777 });
      expect(sha256(await objectBytes(key))).toBe(sha256(data));
      expect(await openUploads()).toEqual([]);
    } finally {
      flaky.destroy();
      await proxy.stop();
    }
  });

  it('a failed part lets the parts in flight beside it finish, so the resume finds them', async () => {
    const data = randomBytes(4 * PART);
    const key = 'models/siblings.zip';
    const proxy = await startFaultProxy(s3.endpoint, (request) => (isUploadPart(3)(request) ? 'cut-request' : 'pass'));
    const flaky = clientFor(proxy.endpoint);
    try {
      const first = await upload(data, { client: flaky, key, queueSize: 3 });
      expect(first.error).toBeInstanceOf(CompressionError);
      const parts = await s3.client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: first.stream.uploadId! }));
      const held = (parts.Parts ?? []).map((p) => p.PartNumber);
      expect(held).toEqual(expect.arrayContaining([1, 2]));
      expect(held).not.toContain(3);
      const second = await upload(data, { client: s3.client, key, uploadId: first.stream.uploadId! });
      expect(second.result?.partsReused).toBe(held.length);
      expect(sha256(await objectBytes(key))).toBe(sha256(data));
    } finally {
      flaky.destroy();
      await proxy.stop();
    }
  });

  it('sends again a held part whose bytes differ, so the object is the resuming attempt’s bytes', async () => {
    const key = 'models/changed.zip';
    const before = randomBytes(3 * PART);
    const proxy = await startFaultProxy(s3.endpoint, (request) => (isUploadPart(3)(request) ? 'cut-request' : 'pass'));
    const flaky = clientFor(proxy.endpoint);
    try {
      const first = await upload(before, { client: flaky, key });
      expect(first.error).toBeInstanceOf(CompressionError);
      const after = Buffer.from(before);
      after.fill(7, PART + 10, PART + 20); // part 2 differs by ten bytes
      const second = await upload(after, { client: s3.client, key, uploadId: first.stream.uploadId! });
      expect(second.result).toMatchObject({ partsReused: 1, partsUploaded: 2 });
      expect(sha256(await objectBytes(key))).toBe(sha256(after));
      expect(await openUploads()).toEqual([]);
    } finally {
      flaky.destroy();
      await proxy.stop();
    }
  });

  it('rides out throttling (503 SlowDown) through the SDK’s retries, byte-identical', async () => {
    const data = randomBytes(3 * PART + 5);
    const proxy = await startFaultProxy(s3.endpoint, (request, n) => (request.method === 'PUT' && n % 2 === 1 ? 'throttle' : 'pass'));
    const retrying = clientFor(proxy.endpoint, 5);
    try {
      const { result, error } = await upload(data, { client: retrying, key: 'throttled.bin', queueSize: 2 });
      expect(error).toBeUndefined();
      expect(proxy.injected.throttle).toBeGreaterThan(0);
      expect(result?.partsUploaded).toBe(4);
      expect(sha256(await objectBytes('throttled.bin'))).toBe(sha256(data));
      expect(await openUploads()).toEqual([]);
    } finally {
      retrying.destroy();
      await proxy.stop();
    }
  });

  it('abort() deletes a failed attempt’s upload; an id S3 no longer knows starts afresh', async () => {
    const key = 'models/given-up.zip';
    const proxy = await startFaultProxy(s3.endpoint, (request) => (isUploadPart(2)(request) ? 'cut-request' : 'pass'));
    const flaky = clientFor(proxy.endpoint);
    const data = randomBytes(2 * PART + 1);
    try {
      const first = await upload(data, { client: flaky, key });
      expect(first.error).toBeInstanceOf(CompressionError);
      const staleId = first.stream.uploadId!;
      expect(await openUploads()).toEqual([`${key} ${staleId}`]);
      await first.stream.abort();
      expect(await openUploads()).toEqual([]);
      expect(await findOpenUpload({ client: s3.client, bucket, key })).toBeUndefined();

      const again = await upload(data, { client: s3.client, key, uploadId: staleId });
      expect(again.result?.uploadId).not.toBe(staleId);
      expect(again.result).toMatchObject({ partsReused: 0, partsUploaded: 3 });
      expect(sha256(await objectBytes(key))).toBe(sha256(data));
    } finally {
      flaky.destroy();
      await proxy.stop();
    }
  });

  it('refuses parts smaller than S3 accepts', () => {
    expect(() => s3ResumableUploadStream({ client: s3.client, bucket, key: 'x', partSize: MiB })).toThrow(ConfigurationError);
  });
});
