// Runtime patches for s3rver 3.7.1's defects, applied when a test server starts. Each fix is a
// small override of its FilesystemStore or one Koa middleware in front of its router, and each
// has its own test in test/s3/s3rver-fixes.test.ts. The library is never bent to the server.
//
//  1. `//` keys: the router 404s on empty segments and the store's path.join merges `a//b`
//     with `a/b`. Fix: a middleware routes empty segments as a private-use sentinel, and the
//     store maps every key segment to a file name injectively (empty, `.`, `..`, leading `.`
//     and `%` escaped), so distinct keys are distinct files.
//  2. Listing order: objects came back in directory-walk order, not UTF-8 byte order, so
//     continuation tokens (the last key) skipped keys. Fix: list all keys, sort by bytes, page.
//  3. aws-chunked bodies (the SDK's default for stream uploads with checksums) were stored with
//     their chunk framing. Fix: a middleware decodes the framing before the controller reads.
//  4. Copy sources were only decodeURI'd, so `%2B`, `%23`, `%26`, `%3F`… stayed encoded. Fix:
//     the header is decoded with decodeURIComponent and re-encoded so decodeURI restores it.
//  5. Non-atomic writes: a GET during a PUT saw a half-written file. Fix: objects, metadata and
//     copies are written to a temporary file and renamed into place.
//  6. Concurrent deletes raced on removing empty parent folders (ENOENT/ENOTEMPTY → 500), and
//     a PUT could lose its folder to a concurrent delete. Fix: tolerant cleanup; rename retries.
//  7. UploadPartCopy answered NotImplemented. Fix: a middleware serves it from a ranged read
//     of the source into the store's putPart.
//  8. ListObjectsV2 continuation tokens are DES-encrypted, and OpenSSL 3 (Node >= 17) has no
//     DES: every truncated V2 listing was a 500. Fix: a middleware answers V2 listings with
//     the fixed store and tokens that are the base64url of the last key.
//  9. Multipart bookkeeping: ListParts, ListMultipartUploads and AbortMultipartUpload answered
//     NotImplemented or 405, and a part upload whose connection was cut kept its partial body
//     under the part's name (and never settled: the aborted request's error was not piped on).
//     Fix: the middleware serves the three calls from the store's uploads folder, and putPart
//     writes to a temporary file renamed into place only when the whole body arrived.
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { promises as fsp, createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform, pipeline as pipelineCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as new (root: string) => BaseStore;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3Error = require('s3rver/lib/models/error.js') as new (code: string, message?: string, detail?: object) => Error;

interface BaseStore {
  rootDirectory: string;
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<{ content: Readable } | null>;
  existsObject(bucket: string, key: string): Promise<boolean>;
  putPart(bucket: string, uploadId: string, partNumber: number | string, content: Readable): Promise<{ size: number; md5: string }>;
}

/** Stands for an empty key segment in a routed path (U+E000, private use). */
export const EMPTY_SEGMENT = '\uE000';
const SUFFIX_OBJECT = '._S3rver_object';
const INTERNAL = '._S3rver_'; // s3rver's own files and folders begin with this
const TMP_DIR = '._S3rver_tmp';

/** A key segment as a file name: injective, never empty, never `.`/`..`, never s3rver's own names. */
export function encodeSegment(segment: string): string {
  if (segment === '' || segment === EMPTY_SEGMENT) return '%';
  return segment.replace(/%/g, '%25').replace(/^\./, '%2E');
}

/** The inverse of {@link encodeSegment}. */
export function decodeSegment(name: string): string {
  if (name === '%') return '';
  return name.replace(/%2E|%25/g, (m) => (m === '%25' ? '%' : '.'));
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeSegment).join('/');
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

async function ignoreCodes<T>(p: Promise<T>, codes: string[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (error) {
    if (codes.includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
}

/** FilesystemStore with fixes 1, 2, 5, 6 and 9 (putPart). */
export class FixedFilesystemStore extends (FilesystemStore as unknown as new (root: string) => BaseStore) {
  override getResourcePath(bucket: string, key: string | undefined, resource: string): string {
    // Bucket-level resources (uploads, cors) have no key and keep s3rver's own names.
    if (key === undefined || key === '') return super.getResourcePath(bucket, key, resource);
    return super.getResourcePath(bucket, encodeKey(key), resource);
  }

  private async tempPath(bucket: string): Promise<string> {
    const dir = join(this.getBucketPath(bucket), TMP_DIR);
    await fsp.mkdir(dir, { recursive: true });
    return join(dir, randomBytes(8).toString('hex'));
  }

  /** Renames `temp` to `dest`, recreating the folder if a concurrent delete removed it. */
  private async place(temp: string, dest: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await fsp.mkdir(dirname(dest), { recursive: true });
      try {
        await fsp.rename(temp, dest);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw error;
      }
    }
  }

  private async writeAtomic(bucket: string, dest: string, data: string | Buffer): Promise<void> {
    const temp = await this.tempPath(bucket);
    await fsp.writeFile(temp, data);
    await this.place(temp, dest);
  }

  async putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void> {
    const allowed = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'content-type', 'expires', 'x-amz-storage-class', 'x-amz-website-redirect-location'];
    const json = Object.fromEntries(Object.entries(metadata).filter(([k]) => allowed.includes(k) || k.startsWith('x-amz-meta-')));
    if (md5) await this.writeAtomic(bucket, this.getResourcePath(bucket, key, 'object.md5'), md5);
    await this.writeAtomic(bucket, this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(json, null, 2));
  }

  async putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: Record<string, unknown> }): Promise<{ size: number; md5: string }> {
    const temp = await this.tempPath(object.bucket);
    const md5 = createHash('md5');
    let size = 0;
    if (Buffer.isBuffer(object.content)) {
      md5.update(object.content);
      size = object.content.length;
      await fsp.writeFile(temp, object.content);
    } else {
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          md5.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(object.content, count, createWriteStream(temp));
    }
    const digest = md5.digest('hex');
    // Metadata first, then the object: a reader never sees a new object without its metadata.
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    await this.place(temp, this.getResourcePath(object.bucket, object.key, 'object'));
    return { size, md5: digest };
  }

  async copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata: Record<string, unknown> | null) {
    const src = (r: string) => this.getResourcePath(srcBucket, srcKey, r);
    const dest = (r: string) => this.getResourcePath(destBucket, destKey, r);
    const copy = async (resource: string) => {
      const temp = await this.tempPath(destBucket);
      await fsp.copyFile(src(resource), temp);
      await this.place(temp, dest(resource));
    };
    const md5 = (await this.getMetadata(srcBucket, srcKey)).etag as string;
    if (replacementMetadata) await this.putMetadata(destBucket, destKey, replacementMetadata, JSON.parse(md5) as string);
    else if (src('object') !== dest('object')) {
      await copy('metadata.json');
      await copy('object.md5');
    }
    if (src('object') !== dest('object')) await copy('object');
    return this.getMetadata(destBucket, destKey);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    for (const r of ['object', 'object.md5', 'metadata.json']) await ignoreCodes(fsp.unlink(this.getResourcePath(bucket, key, r)), ['ENOENT']);
    // Remove emptied parent folders; another request may have removed one or filled it again.
    const bucketPath = this.getBucketPath(bucket);
    const parts = encodeKey(key).split('/').slice(0, -1);
    while (parts.length > 0) {
      const removed = await ignoreCodes(fsp.rmdir(join(bucketPath, ...parts)).then(() => true), ['ENOENT', 'ENOTEMPTY', 'EEXIST']);
      if (removed !== true) break;
      parts.pop();
    }
  }

  /** Fix 9: a part is its whole body or nothing; an aborted request rejects instead of hanging. */
  override async putPart(bucket: string, uploadId: string, partNumber: number | string, content: Readable): Promise<{ size: number; md5: string }> {
    const partPath = join(this.uploadsPath(bucket), uploadId, String(partNumber));
    const temp = await this.tempPath(bucket);
    const md5 = createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(content, count, createWriteStream(temp));
      if ((content as { aborted?: boolean }).aborted || (content as { complete?: boolean }).complete === false) throw new Error('part upload aborted');
    } catch (error) {
      await ignoreCodes(fsp.unlink(temp), ['ENOENT']);
      throw error;
    }
    const digest = md5.digest('hex');
    await this.writeAtomic(bucket, `${partPath}.md5`, digest);
    await this.place(temp, partPath);
    return { size, md5: digest };
  }

  /** The folder of open multipart uploads (one subfolder per upload id). */
  uploadsPath(bucket: string): string {
    return this.getResourcePath(bucket, undefined, 'uploads');
  }

  async listObjects(
    bucket: string,
    options: { delimiter?: string | undefined; startAfter?: string | undefined; prefix?: string | undefined; maxKeys?: number | undefined },
  ): Promise<{ objects: object[]; commonPrefixes: string[]; isTruncated: boolean }> {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const all: string[] = [];
    const walk = async (dir: string, segments: string[]): Promise<void> => {
      const entries = (await ignoreCodes(fsp.readdir(dir, { withFileTypes: true }), ['ENOENT'])) ?? [];
      for (const entry of entries) {
        if (entry.isDirectory()) {
          if (!entry.name.startsWith(INTERNAL)) await walk(join(dir, entry.name), [...segments, decodeSegment(entry.name)]);
        } else if (entry.name.endsWith(SUFFIX_OBJECT)) {
          all.push([...segments, decodeSegment(entry.name.slice(0, -SUFFIX_OBJECT.length))].join('/'));
        }
      }
    };
    await walk(this.getBucketPath(bucket), []);
    all.sort(compareBytes);
    const keys: string[] = [];
    const commonPrefixes = new Set<string>();
    let isTruncated = false;
    for (const key of all) {
      if (!key.startsWith(prefix) || (startAfter !== '' && compareBytes(key, startAfter) <= 0)) continue;
      const idx = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
      if (idx !== -1) {
        commonPrefixes.add(key.slice(0, prefix.length + idx + delimiter.length));
        continue;
      }
      if (keys.length >= maxKeys) {
        isTruncated = true;
        break;
      }
      keys.push(key);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3Object = require('s3rver/lib/models/object.js') as new (b: string, k: string, c: null, m: object) => object;
    const objects = [];
    for (const key of keys) {
      const metadata = await ignoreCodes(this.getMetadata(bucket, key), ['ENOENT']);
      if (metadata !== undefined) objects.push(new S3Object(bucket, key, null, metadata));
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(compareBytes), isTruncated };
  }
}

/** Decodes `aws-chunked` framing: `<hex size>[;ext]\r\n<bytes>\r\n` … `0[;ext]\r\n[trailers]\r\n` (fix 3). */
export class AwsChunkedDecoder extends Transform {
  private line = '';
  private remaining = 0;
  private state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  private crlfLeft = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'size') {
        const nl = chunk.indexOf(0x0a, i);
        const end = nl === -1 ? chunk.length : nl + 1;
        this.line += chunk.toString('latin1', i, end);
        i = end;
        if (nl === -1) break;
        const size = parseInt(this.line.split(';')[0]!.trim(), 16);
        this.line = '';
        if (Number.isNaN(size)) return done(new Error('aws-chunked: bad chunk size line'));
        if (size === 0) this.state = 'trailer';
        else {
          this.remaining = size;
          this.state = 'data';
        }
      } else if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - i);
        this.push(chunk.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          this.state = 'crlf';
          this.crlfLeft = 2;
        }
      } else if (this.state === 'crlf') {
        const skip = Math.min(this.crlfLeft, chunk.length - i);
        i += skip;
        this.crlfLeft -= skip;
        if (this.crlfLeft === 0) this.state = 'size';
      } else {
        i = chunk.length; // trailers (checksums, trailer signature) are not part of the body
      }
    }
    done();
  }
}

const LIST_V2_PARAMS = new Set(['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'fetch-owner', 'encoding-type', 'x-id']);

type Ctx = {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  req: Readable;
  status: number;
  type: string;
  body: unknown;
  store: FixedFilesystemStore & BaseStore & { getBucket(name: string): Promise<unknown> };
};

/** Fix 1: route empty key segments (all but a trailing one) as {@link EMPTY_SEGMENT}. */
function routeEmptySegments(ctx: Ctx): void {
  const parts = ctx.path.split('/'); // ['', bucket, ...key]
  if (parts.length <= 3) return;
  let changed = false;
  for (let i = 2; i < parts.length - 1; i++) {
    if (parts[i] === '') {
      parts[i] = encodeURIComponent(EMPTY_SEGMENT);
      changed = true;
    }
  }
  if (changed) ctx.path = parts.join('/');
}

/** Fix 3: strip aws-chunked framing from the request body. */
function decodeAwsChunked(ctx: Ctx): void {
  const encoding = ctx.headers['content-encoding'] ?? '';
  const sha = ctx.headers['x-amz-content-sha256'] ?? '';
  if (!encoding.includes('aws-chunked') && !sha.startsWith('STREAMING-')) return;
  // pipeline, not pipe: an aborted request must fail the decoded body too (fix 9).
  ctx.req = pipelineCallback(ctx.req, new AwsChunkedDecoder(), () => undefined);
  const rest = encoding.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'aws-chunked');
  if (rest.length > 0) ctx.headers['content-encoding'] = rest.join(',');
  else delete ctx.headers['content-encoding'];
  const decoded = ctx.headers['x-amz-decoded-content-length'];
  if (decoded !== undefined) ctx.headers['content-length'] = decoded;
}

/** Fix 4: make the copy source survive s3rver's decodeURI. Returns the decoded `bucket/key`. */
function normalizeCopySource(ctx: Ctx): string | undefined {
  const header = ctx.headers['x-amz-copy-source'];
  if (header === undefined) return undefined;
  const withoutVersion = header.replace(/\?versionId=.*$/, '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(withoutVersion);
  } catch {
    return undefined;
  }
  ctx.headers['x-amz-copy-source'] = encodeURI(decoded);
  return decoded.startsWith('/') ? decoded.slice(1) : decoded;
}

/** Fix 7: UploadPartCopy from a ranged read of the source. */
async function uploadPartCopy(ctx: Ctx, source: string): Promise<void> {
  const [, bucket] = ctx.path.split('/');
  const slash = source.indexOf('/');
  const srcBucket = source.slice(0, slash);
  const srcKey = source.slice(slash + 1);
  if (!(await ctx.store.existsObject(srcBucket, srcKey))) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: srcKey });
  const range = /^bytes=(\d+)-(\d+)$/.exec(ctx.headers['x-amz-copy-source-range'] ?? '');
  const object = await ctx.store.getObject(srcBucket, srcKey, range ? { start: Number(range[1]), end: Number(range[2]) } : undefined);
  if (object === null || !object.content) throw new S3Error('InvalidRange', 'The requested range is not satisfiable');
  const { md5 } = await ctx.store.putPart(decodeURIComponent(bucket!), ctx.query.uploadId!, ctx.query.partNumber!, object.content);
  ctx.status = 200;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>"${md5}"</ETag></CopyPartResult>`;
}

/** Fix 8: ListObjectsV2 with plain tokens; the body is the object s3rver's XML encoder expects. */
async function listObjectsV2(ctx: Ctx, bucket: string): Promise<void> {
  if (!(await ctx.store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  const q = ctx.query;
  const maxKeys = Math.min(1000, q['max-keys'] === undefined ? 1000 : Number(q['max-keys']));
  const token = q['continuation-token'];
  const startAfter = token ? Buffer.from(token, 'base64url').toString('utf8') : (q['start-after'] ?? '');
  const result = await ctx.store.listObjects(bucket, { delimiter: q.delimiter || undefined, prefix: q.prefix || '', maxKeys, startAfter });
  const objects = result.objects as { key: string; size: number; lastModifiedDate: Date; metadata: Record<string, string> }[];
  const last = objects.at(-1)?.key;
  ctx.body = {
    ListBucketResult: {
      '@': { xmlns: 'http://doc.s3.amazonaws.com/2006-03-01/' },
      Name: bucket,
      Prefix: q.prefix || '',
      StartAfter: token ? undefined : q['start-after'],
      ContinuationToken: token || undefined,
      NextContinuationToken: result.isTruncated && last !== undefined ? Buffer.from(last, 'utf8').toString('base64url') : undefined,
      KeyCount: objects.length,
      MaxKeys: maxKeys,
      Delimiter: q.delimiter || undefined,
      IsTruncated: result.isTruncated,
      Contents: objects.map((o) => ({
        Key: o.key,
        LastModified: o.lastModifiedDate.toISOString(),
        ETag: o.metadata['etag'],
        Size: o.size,
        StorageClass: 'STANDARD',
      })),
      CommonPrefixes: result.commonPrefixes.map((prefix) => ({ Prefix: prefix })),
    },
  };
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function noSuchUpload(uploadId: string): Error {
  return new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
}

/** The open upload's folder, when `uploadId` names one of `key` in `bucket`. */
async function openUpload(ctx: Ctx, bucket: string, key: string, uploadId: string): Promise<string> {
  if (!/^[0-9a-f]+$/.test(uploadId)) throw noSuchUpload(uploadId);
  const dir = join(ctx.store.uploadsPath(bucket), uploadId);
  const recorded = await ignoreCodes(fsp.readFile(join(dir, 'key'), 'utf8'), ['ENOENT', 'ENOTDIR']);
  if (recorded?.replaceAll(EMPTY_SEGMENT, '') !== key) throw noSuchUpload(uploadId);
  return dir;
}

/** Fix 9: ListParts of an open upload, from its part files and their `.md5` files. */
async function listParts(ctx: Ctx, bucket: string, key: string, uploadId: string): Promise<void> {
  const dir = await openUpload(ctx, bucket, key, uploadId);
  const marker = Number(ctx.query['part-number-marker'] ?? 0);
  const maxParts = Math.min(1000, Number(ctx.query['max-parts'] ?? 1000));
  const numbers = (await fsp.readdir(dir))
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((n) => n > marker)
    .sort((a, b) => a - b);
  const page = numbers.slice(0, maxParts);
  const parts = [];
  for (const n of page) {
    const [info, md5] = await Promise.all([fsp.stat(join(dir, String(n))), ignoreCodes(fsp.readFile(join(dir, `${n}.md5`), 'utf8'), ['ENOENT'])]);
    if (md5 === undefined) continue;
    parts.push({ PartNumber: n, LastModified: info.mtime.toISOString(), ETag: JSON.stringify(md5.trim()), Size: info.size });
  }
  const truncated = numbers.length > page.length;
  ctx.body = {
    ListPartsResult: {
      '@': { xmlns: XMLNS },
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: truncated ? page.at(-1) : undefined,
      MaxParts: maxParts,
      IsTruncated: truncated,
      StorageClass: 'STANDARD',
      Part: parts,
    },
  };
}

/** Fix 9: ListMultipartUploads of a bucket (prefix honoured; one page of up to 1,000). */
async function listMultipartUploads(ctx: Ctx, bucket: string): Promise<void> {
  if (!(await ctx.store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  const prefix = ctx.query.prefix ?? '';
  const root = ctx.store.uploadsPath(bucket);
  const uploads: { Key: string; UploadId: string; Initiated: string; StorageClass: string }[] = [];
  for (const uploadId of (await ignoreCodes(fsp.readdir(root), ['ENOENT'])) ?? []) {
    const keyFile = join(root, uploadId, 'key');
    const key = (await ignoreCodes(fsp.readFile(keyFile, 'utf8'), ['ENOENT', 'ENOTDIR']))?.replaceAll(EMPTY_SEGMENT, '');
    if (key === undefined || !key.startsWith(prefix)) continue;
    const initiated = (await fsp.stat(keyFile)).mtime.toISOString();
    uploads.push({ Key: key, UploadId: uploadId, Initiated: initiated, StorageClass: 'STANDARD' });
  }
  uploads.sort((a, b) => compareBytes(a.Key, b.Key) || a.Initiated.localeCompare(b.Initiated));
  ctx.body = {
    ListMultipartUploadsResult: {
      '@': { xmlns: XMLNS },
      Bucket: bucket,
      KeyMarker: '',
      UploadIdMarker: '',
      Prefix: prefix,
      MaxUploads: 1000,
      IsTruncated: false,
      Upload: uploads.slice(0, 1000),
    },
  };
}

/** Fix 9: AbortMultipartUpload removes the upload's folder and its parts. */
async function abortMultipartUpload(ctx: Ctx, bucket: string, key: string, uploadId: string): Promise<void> {
  const dir = await openUpload(ctx, bucket, key, uploadId);
  await fsp.rm(dir, { recursive: true, force: true });
  ctx.status = 204;
  ctx.body = null;
}

/** Splits a routed object path into its bucket and key (after fix 1's rewriting). */
function bucketAndKey(path: string): { bucket: string; key: string } | undefined {
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  if (!match) return undefined;
  const key = match[2]!.split('/').map((segment) => {
    const decoded = decodeURIComponent(segment);
    return decoded === EMPTY_SEGMENT ? '' : decoded;
  });
  return { bucket: decodeURIComponent(match[1]!), key: key.join('/') };
}

/** The middleware for fixes 1, 3, 4, 7, 8 and 9, to run just before s3rver's router. */
export function s3rverFixesMiddleware() {
  return async function s3rverFixes(ctx: Ctx, next: () => Promise<void>): Promise<void> {
    const bucketOnly = /^\/([^/]+)\/?$/.exec(ctx.path);
    const onlyListing = Object.keys(ctx.query).every((k) => LIST_V2_PARAMS.has(k));
    if (ctx.method === 'GET' && bucketOnly && ctx.query['list-type'] === '2' && onlyListing) {
      await listObjectsV2(ctx, decodeURIComponent(bucketOnly[1]!));
      return;
    }
    if (ctx.method === 'GET' && bucketOnly && ctx.query.uploads !== undefined) {
      await listMultipartUploads(ctx, decodeURIComponent(bucketOnly[1]!));
      return;
    }
    routeEmptySegments(ctx);
    const object = ctx.query.uploadId !== undefined && ctx.query.partNumber === undefined ? bucketAndKey(ctx.path) : undefined;
    if (object && ctx.method === 'GET') {
      await listParts(ctx, object.bucket, object.key, ctx.query.uploadId!);
      return;
    }
    if (object && ctx.method === 'DELETE') {
      await abortMultipartUpload(ctx, object.bucket, object.key, ctx.query.uploadId!);
      return;
    }
    decodeAwsChunked(ctx);
    const source = normalizeCopySource(ctx);
    if (ctx.method === 'PUT' && source !== undefined && ctx.query.uploadId !== undefined && ctx.query.partNumber !== undefined) {
      await uploadPartCopy(ctx, source);
      return;
    }
    await next();
  };
}

/** Applies every fix to an s3rver instance; call before `run()`. */
export function applyS3rverFixes(server: { store: BaseStore; context: { store: unknown }; middleware: unknown[] }): void {
  const store = new FixedFilesystemStore(server.store.rootDirectory);
  server.store = store;
  server.context.store = store;
  // Just before the router: after s3rver's logger and XML encoder, which then apply to our answers.
  server.middleware.splice(server.middleware.length - 1, 0, s3rverFixesMiddleware());
}
