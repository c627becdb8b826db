import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readThrough } from '../../src/s3/index.js';
import { encodeCopySource } from '../../src/s3/migration/s3-objects.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';

const BUCKET = 'read-through';
const LEGACY = 'datasets/cats/training-output/j1/output/model.tar.gz';
const NEW = 'models/training/j1/output/model.tar.gz';
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  await s3.stop();
});

async function text(key: string, range?: string) {
  const r = await readThrough(s3.client, key, { bucket: BUCKET, range });
  return { ...r, body: await r.object.Body!.transformToString() };
}

describe('readThrough', () => {
  it('throws NoSuchKey when neither the new nor the legacy key exists', async () => {
    await expect(readThrough(s3.client, LEGACY, { bucket: BUCKET })).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('falls back to the legacy key before migration, and prefers the new key after', async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: LEGACY, Body: 'legacy bytes' }));
    expect(await text(LEGACY)).toMatchObject({ key: LEGACY, fromLegacy: true, body: 'legacy bytes' });
    await s3.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: NEW, CopySource: encodeCopySource(BUCKET, LEGACY) }));
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: NEW, Body: 'new bytes' }));
    expect(await text(LEGACY)).toMatchObject({ key: NEW, fromLegacy: false, body: 'new bytes' });
    expect(await text(NEW)).toMatchObject({ key: NEW, fromLegacy: false, body: 'new bytes' });
    expect(await text(LEGACY, 'bytes=0-2')).toMatchObject({ body: 'new' });
  });

  it('reads keys no rule knows as they are', async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tmp/a b.txt', Body: 'plain' }));
    expect(await text('tmp/a b.txt')).toMatchObject({ key: 'tmp/a b.txt', fromLegacy: false, body: 'plain' });
  });
});
