import { GetObjectCommand } from '@aws-sdk/client-s3';
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
});
