// Each s3rver fix in test/support/s3rver-fixes.ts, shown working through the real AWS SDK, and
// (where cheap to show) shown broken on s3rver as shipped, so the fix is known to be needed.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  UploadPartCommand,
  ListPartsCommand,
  ListMultipartUploadsCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { startLocalS3, localCredentials, type LocalS3 } from '../support/s3.js';
import { AwsChunkedDecoder, decodeSegment, encodeSegment } from '../support/s3rver-fixes.js';
import { encodeCopySource } from '../../src/s3/migration/s3-objects.js';

const BUCKET = 'fixes';
let s3: LocalS3;

async function body(key: string): Promise<Buffer> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}
async function put(key: string, data: string | Buffer): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }));
}
async function listAll(prefix: string, maxKeys: number): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, MaxKeys: maxKeys, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  await s3.stop();
});

describe('segment encoding', () => {
  it('is injective and reversible for empty, dot and percent segments', () => {
    const segments = ['', '.', '..', '.hidden', '%', '%2E', '%25', 'a.b', 'plain'];
    const encoded = segments.map(encodeSegment);
    expect(new Set(encoded).size).toBe(segments.length);
    expect(encoded.map(decodeSegment)).toEqual(segments);
    for (const e of encoded) expect(e === '' || e === '.' || e === '..' || e.startsWith('.')).toBe(false);
  });
});

describe('fix 1: keys with //', () => {
  it('stores a//b, a/b and /a/b as three objects', async () => {
    await put('dbl/a//b', 'double');
    await put('dbl/a/b', 'single');
    await put('dbl/a///b', 'triple');
    expect((await body('dbl/a//b')).toString()).toBe('double');
    expect((await body('dbl/a/b')).toString()).toBe('single');
    expect((await body('dbl/a///b')).toString()).toBe('triple');
    expect(await listAll('dbl/', 1000)).toEqual(['dbl/a///b', 'dbl/a//b', 'dbl/a/b']);
  });
});

describe('fix 2: listing in UTF-8 byte order, paged without skipping', () => {
  it('pages through keys that directory order would misplace', async () => {
    const keys = ['ord/a/b', 'ord/a-c', 'ord/a0', 'ord/a/b/c', 'ord/é', 'ord/z', 'ord/A', 'ord/a b'];
    for (const k of keys) await put(k, k);
    const expected = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(await listAll('ord/', 1)).toEqual(expected);
    expect(await listAll('ord/', 3)).toEqual(expected);
  });
});

describe('fix 3: aws-chunked bodies', () => {
  it('decodes framing, extensions and trailers', async () => {
    const framed = Buffer.from('5;chunk-signature=ab\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n');
    const out: Buffer[] = [];
    // Feed one byte at a time: the decoder must not depend on chunk boundaries.
    await new Promise<void>((resolve, reject) => {
      const d = new AwsChunkedDecoder();
      d.on('data', (c: Buffer) => out.push(c)).on('end', resolve).on('error', reject);
      for (const byte of framed) d.write(Buffer.from([byte]));
      d.end();
    });
    expect(Buffer.concat(out).toString()).toBe('hello world');
  });

  it('stores a stream upload sent with checksums by the SDK byte-identical', async () => {
    // A client with the SDK defaults: streams are sent aws-chunked with a trailing checksum.
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: localCredentials });
    const data = Buffer.alloc(200_000, 7);
    data.write('start');
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'chunked/obj', Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length }),
    );
    client.destroy();
    expect((await body('chunked/obj')).equals(data)).toBe(true);
  });
});

describe('fix 4: copy sources fully URL-decoded', () => {
  it('copies keys with + & # ? % and unicode', async () => {
    const source = 'copy/a+b & c#d?e%f ü.txt';
    await put(source, 'payload');
    await s3.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/target', CopySource: encodeCopySource(BUCKET, source) }));
    expect((await body('copy/target')).toString()).toBe('payload');
  });
});

describe('fix 5: atomic writes', () => {
  it('never serves a half-written object while it is overwritten', async () => {
    const a = Buffer.alloc(2_000_000, 'a');
    const b = Buffer.alloc(2_000_000, 'b');
    await put('atomic/x', a);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 6; i++) await put('atomic/x', i % 2 ? a : b);
      writing = false;
    })();
    const seen: string[] = [];
    while (writing) {
      const got = await body('atomic/x');
      seen.push(got.equals(a) ? 'a' : got.equals(b) ? 'b' : `torn:${got.length}`);
    }
    await writer;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.startsWith('torn'))).toEqual([]);
  });
});

describe('fix 6: concurrent deletes and puts', () => {
  it('deletes many siblings at once without errors, while puts land beside them', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `race/deep/dir/${i}`);
    await Promise.all(keys.map((k) => put(k, k)));
    const puts = Array.from({ length: 10 }, (_, i) => `race/deep/dir/new-${i}`);
    await Promise.all([
      ...keys.map((k) => s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: k }))),
      ...puts.map((k) => put(k, k)),
    ]);
    expect(await listAll('race/', 1000)).toEqual([...puts].sort());
  });
});

describe('fix 7: UploadPartCopy', () => {
  it('assembles an object from ranged part copies', async () => {
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    await put('mpc/source bin', data);
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mpc/target' }));
    const parts = [];
    for (let start = 0, n = 1; start < data.length; start += 4096, n++) {
      const end = Math.min(data.length, start + 4096) - 1;
      const out = await s3.client.send(
        new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'mpc/target', UploadId, PartNumber: n, CopySource: encodeCopySource(BUCKET, 'mpc/source bin'), CopySourceRange: `bytes=${start}-${end}` }),
      );
      expect(out.CopyPartResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      parts.push({ PartNumber: n, ETag: out.CopyPartResult!.ETag });
    }
    await s3.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mpc/target', UploadId, MultipartUpload: { Parts: parts } }));
    expect((await body('mpc/target')).equals(data)).toBe(true);
  });
});

describe('fix 9: multipart bookkeeping', () => {
  it('lists an upload and its parts (size, MD5 ETag), pages parts, and aborts it', async () => {
    const key = 'mpu/a b+c';
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const other = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'elsewhere/x' }));
    const bodies = [Buffer.alloc(300, 1), Buffer.alloc(200, 2), Buffer.alloc(100, 3)];
    for (const [i, part] of bodies.entries()) {
      await s3.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1, Body: part }));
    }
    const md5 = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;
    const first = await s3.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId, MaxParts: 2 }));
    expect(first.IsTruncated).toBe(true);
    const rest = await s3.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumberMarker: first.NextPartNumberMarker }));
    const parts = [...(first.Parts ?? []), ...(rest.Parts ?? [])].map((p) => [p.PartNumber, p.Size, p.ETag]);
    expect(parts).toEqual(bodies.map((b, i) => [i + 1, b.length, md5(b)]));

    const listed = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'mpu/' }));
    expect((listed.Uploads ?? []).map((u) => [u.Key, u.UploadId])).toEqual([[key, UploadId]]);

    await s3.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
    await expect(s3.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(s3.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await s3.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'elsewhere/x', UploadId: other.UploadId }));
  });
});

describe('s3rver as shipped (why the fixes exist)', () => {
  it('cannot read a//b, lacks UploadPartCopy and ListParts, and cannot page V2 listings', async () => {
    const raw = await startLocalS3({ fixes: false });
    try {
      await raw.createBucket('raw');
      await raw.client.send(new PutObjectCommand({ Bucket: 'raw', Key: 'a/b', Body: 'single' }));
      const dbl = raw.client.send(new GetObjectCommand({ Bucket: 'raw', Key: 'a//b' }));
      await expect(dbl).rejects.toThrow();
      const { UploadId } = await raw.client.send(new CreateMultipartUploadCommand({ Bucket: 'raw', Key: 't' }));
      await expect(
        raw.client.send(new UploadPartCopyCommand({ Bucket: 'raw', Key: 't', UploadId, PartNumber: 1, CopySource: 'raw/a/b' })),
      ).rejects.toThrow(/not implemented/i);
      // A truncated V2 listing needs a continuation token, which s3rver encrypts with DES.
      await raw.client.send(new PutObjectCommand({ Bucket: 'raw', Key: 'a/c', Body: 'x' }));
      await expect(raw.client.send(new ListObjectsV2Command({ Bucket: 'raw', MaxKeys: 1 }))).rejects.toThrow(/internal error/i);
      // No ListParts, so no upload could be resumed.
      await expect(raw.client.send(new ListPartsCommand({ Bucket: 'raw', Key: 't', UploadId }))).rejects.toThrow();
    } finally {
      await raw.stop();
    }
  });
});
