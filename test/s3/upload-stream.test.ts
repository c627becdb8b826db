import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncrementalZipper } from '../../src/zip/index.js';
import { s3UploadStream } from '../../src/s3/index.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';

let s3: LocalS3;
let work: string;
beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket('models');
  work = mkdtempSync(join(tmpdir(), 'ssa-s3zip-'));
});
afterAll(async () => {
  await s3.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A client like the shared one, for middleware of a single test. */
function freshClient(): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function writeZip(zipper: IncrementalZipper, weights: Buffer): Promise<void> {
  await zipper.addStream(Readable.from([weights.subarray(0, 6_000_000), weights.subarray(6_000_000)]), 'stage/weights.bin');
  await zipper.addBuffer('{"stage":"stage"}', 'manifest.json');
  await zipper.finalize();
}

describe('s3UploadStream', () => {
  it('uploads a multipart zip that is byte-identical to the same zip written to a file', async () => {
    const weights = randomBytes(12 * 1024 * 1024);
    const local = join(work, 'local.zip');
    await writeZip(new IncrementalZipper(local, { deterministic: true }), weights);

    const upload = s3UploadStream({ client: s3.client, bucket: 'models', key: 'deployments/a/component.zip', partSize: 5 * 1024 * 1024 });
    await writeZip(new IncrementalZipper(upload, { deterministic: true }), weights);
    // finalize() resolved, so the upload has completed: the object is there now.
    const result = await upload.done();
    expect(result).toMatchObject({ bucket: 'models', key: 'deployments/a/component.zip' });
    const object = await s3.client.send(new GetObjectCommand({ Bucket: 'models', Key: 'deployments/a/component.zip' }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(bytes.length).toBe(readFileSync(local).length);
    expect(bytes.equals(readFileSync(local))).toBe(true);
  });

  it('fails the zip with WRITE_FAILED when the bucket does not exist', async () => {
    const upload = s3UploadStream({ client: s3.client, bucket: 'no-such-bucket', key: 'x.zip' });
    const zipper = new IncrementalZipper(upload);
    const error = await writeZip(zipper, randomBytes(6 * 1024 * 1024)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'COMPRESSION_FAILED', reason: 'WRITE_FAILED' });
  });

  it('sends the SHA-256 additional checksum of every part when asked, and S3 gets the same bytes', async () => {
    const client = freshClient();
    const seen: Array<{ command: string; checksum: string | undefined; algorithm: string | undefined; body: Uint8Array | undefined }> = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const request = args.request as { headers: Record<string, string>; body?: unknown };
        const body = request.body instanceof Uint8Array ? request.body : undefined;
        seen.push({ command: (context as { commandName: string }).commandName, checksum: request.headers['x-amz-checksum-sha256'], algorithm: request.headers['x-amz-checksum-algorithm'] ?? request.headers['x-amz-sdk-checksum-algorithm'], body });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordChecksums' },
    );
    try {
      const weights = randomBytes(12 * 1024 * 1024);
      const upload = s3UploadStream({ client, bucket: 'models', key: 'deployments/sum/component.zip', partSize: 5 * 1024 * 1024, checksumAlgorithm: 'SHA256' });
      await writeZip(new IncrementalZipper(upload, { deterministic: true }), weights);
      await upload.done();
      const parts = seen.filter((r) => r.command === 'UploadPartCommand');
      expect(parts.length).toBe(3);
      for (const part of parts) {
        // The header S3 checks the part against: base64 of the SHA-256 of exactly the bytes sent.
        expect(part.checksum).toBe(createHash('sha256').update(part.body!).digest('base64'));
      }
      expect(seen.find((r) => r.command === 'CreateMultipartUploadCommand')?.algorithm).toBe('SHA256');
      const object = await s3.client.send(new GetObjectCommand({ Bucket: 'models', Key: 'deployments/sum/component.zip' }));
      expect(Buffer.concat(parts.map((p) => Buffer.from(p.body!))).equals(Buffer.from(await object.Body!.transformToByteArray()))).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it.each([
    ['a single PUT', 1024, 'PutObjectCommand'],
    ['a multipart upload', 11 * 1024 * 1024, 'CompleteMultipartUploadCommand'],
  ])('with ifNoneMatch, %s carries If-None-Match: * and a 412 answer fails the zip with OUTPUT_EXISTS', async (_name, size, conditional) => {
    const client = freshClient();
    const headers = new Map<string, string | undefined>();
    // s3rver 3.7.1 ignores If-None-Match on writes; the 412 that S3 sends is injected on a real
    // client talking to the real server, at the point where the condition would fail.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context as { commandName: string }).commandName;
        headers.set(command, (args.request as { headers: Record<string, string> }).headers['if-none-match']);
        if (command === conditional) {
          throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'preconditionFails' },
    );
    try {
      const upload = s3UploadStream({ client, bucket: 'models', key: `deployments/exists/${size}.zip`, partSize: 5 * 1024 * 1024, ifNoneMatch: '*' });
      const error = await writeZip(new IncrementalZipper(upload, { compression: 'store' }), randomBytes(size)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'COMPRESSION_FAILED', reason: 'OUTPUT_EXISTS' });
      expect((error as Error).message).toContain(`s3://models/deployments/exists/${size}.zip already exists`);
      expect(headers.get(conditional)).toBe('*');
    } finally {
      client.destroy();
    }
  });

  it('returns the version id and checksum fields S3 answers with', async () => {
    const upload = s3UploadStream({ client: s3.client, bucket: 'models', key: 'deployments/plain/component.zip' });
    await writeZip(new IncrementalZipper(upload), randomBytes(1024));
    // s3rver has no versioning and stores no checksums: only the ETag comes back.
    const result = await upload.done();
    expect(result.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(result.versionId).toBeUndefined();
    expect(result.checksumSHA256).toBeUndefined();
  });
});
