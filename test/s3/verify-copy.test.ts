// Copy verification when ETags cannot be compared (S3's multipart `<md5>-<parts>` ETags, KMS):
// both objects are hashed with SHA-256, streamed from the server.
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepContext } from '../../src/s3/migration/context.js';
import { verifyCopy } from '../../src/s3/migration/migrate.js';
import { isPlainMd5Etag } from '../../src/s3/migration/s3-objects.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';

const BUCKET = 'verify';
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  for (const [Key, Body] of [['a', 'same bytes'], ['b', 'same bytes'], ['c', 'diff bytes']]) {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  }
});
afterAll(async () => {
  await s3.stop();
});

describe('verifyCopy', () => {
  const ctx = () => stepContext({ s3: s3.client, bucket: BUCKET });
  // What HeadObject returns for an object uploaded in 3 parts on S3.
  const multipartHead = { ContentLength: 10, ETag: '"0123456789abcdef0123456789abcdef-3"', $metadata: {} };

  it('falls back to SHA-256 of both when the source ETag is a multipart one', async () => {
    const ok = await verifyCopy(ctx(), { source: 'a', target: 'b' }, multipartHead);
    expect(ok).toEqual({ ok: true, targetEtag: expect.stringMatching(/^"[0-9a-f]{32}"$/), sha256: createHash('sha256').update('same bytes').digest('hex') });
    const bad = await verifyCopy(ctx(), { source: 'a', target: 'c' }, multipartHead);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.detail).toMatch(/^SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}$/);
  });

  it('reports a size difference and a missing target without hashing', async () => {
    const longer = await verifyCopy(ctx(), { source: 'a', target: 'b' }, { ...multipartHead, ContentLength: 11 });
    expect(!longer.ok && longer.detail).toBe('size 10 bytes, expected 11');
    const missing = await verifyCopy(ctx(), { source: 'a', target: 'nope' }, multipartHead);
    expect(!missing.ok && missing.detail).toBe('target missing after copy');
  });

  it('tells plain MD5 ETags from multipart and KMS ones', () => {
    expect(isPlainMd5Etag('"0123456789abcdef0123456789abcdef"')).toBe(true);
    expect(isPlainMd5Etag('"0123456789abcdef0123456789abcdef-3"')).toBe(false);
    expect(isPlainMd5Etag('"0123456789abcdef0123456789abcdef"', 'aws:kms')).toBe(false);
  });
});
