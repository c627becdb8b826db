// Published artifacts are never replaced. A key is written at most once: the upload asks S3 for
// `If-None-Match: *` (S3 refuses to replace an existing object, answering 412), and before that
// a HEAD looks for the key, because servers without conditional writes ignore the header
// (s3rver 3.7.1 does; docs/s3-layout.md, "Integrity"). When the key is taken, the bytes this run
// produced are compared with what is there: the same SHA-256 makes the run idempotent (nothing
// is written), another one is an ArtifactConflictError naming both digests.
//
// What is there is known from the digest file written beside every artifact,
// `<artifact>.sha256` in sha256sum's format (`<hex>  <file name>`), checked against the
// object's size; when the digest file is missing (a run that stopped between the two writes),
// the object itself is hashed as it streams from S3.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';

/** The key is taken by an artifact whose bytes differ from the ones this run produced. */
export class ArtifactConflictError extends Error {
  override readonly name = 'ArtifactConflictError';
  constructor(
    /** `s3://bucket/key` of the existing artifact. */
    readonly uri: string,
    /** SHA-256 (hex) of what is at the key. */
    readonly existingSha256: string,
    /** SHA-256 (hex) of what this run produced. */
    readonly newSha256: string,
  ) {
    super(
      `${uri} already holds a different artifact (SHA-256 ${existingSha256}); this packaging produced SHA-256 ${newSha256}. ` +
        'Published artifacts are never replaced: package the new bytes under a new componentVersion.',
    );
  }
}

/** Where the digest file of `key` is. */
export function digestFileKey(key: string): string {
  return `${key}.sha256`;
}

/** The digest file's content: what `sha256sum <file>` prints, so `sha256sum -c` checks a download. */
export function digestFileBody(sha256: string, key: string): string {
  return `${sha256}  ${posix.basename(key)}\n`;
}

/** The hex digest in a digest file, or undefined when the text is not one for `key`. */
export function parseDigestFile(text: string, key: string): string | undefined {
  const match = /^([0-9a-f]{64}) [ *](.+)\n?$/.exec(text);
  return match && match[2] === posix.basename(key) ? match[1] : undefined;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}

/** HEAD of `key`, or undefined when there is no such object. */
export async function headObject(s3: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const reply = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await reply.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** SHA-256 (hex) of an object's bytes, hashed as they stream (never held whole). */
export async function hashObject(s3: S3Client, bucket: string, key: string): Promise<{ sha256: string; bytes: number }> {
  const reply = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of reply.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** How the existing artifact's digest was learnt. */
export type DigestSource = 'digest-file' | 'object';

/**
 * The SHA-256 of the artifact at `key`: from its digest file when that names this artifact and
 * the object has the size `expectedBytes` hints at, else by hashing the object.
 */
export async function existingArtifactDigest(
  s3: S3Client,
  bucket: string,
  key: string,
  head: HeadObjectCommandOutput,
  expectedBytes: number,
): Promise<{ sha256: string; from: DigestSource }> {
  const recorded = await readText(s3, bucket, digestFileKey(key));
  const fromFile = recorded === undefined ? undefined : parseDigestFile(recorded, key);
  // A size that differs means different bytes whatever the digest file says: hash what is there.
  if (fromFile !== undefined && head.ContentLength === expectedBytes) return { sha256: fromFile, from: 'digest-file' };
  return { sha256: (await hashObject(s3, bucket, key)).sha256, from: 'object' };
}

/**
 * Writes a small object only where none exists: HEAD first, then PutObject with
 * `If-None-Match: *`. Returns false (nothing written) when the key was taken.
 */
export async function putIfAbsent(s3: S3Client, bucket: string, key: string, body: string, contentType: string): Promise<boolean> {
  if (await headObject(s3, bucket, key)) return false;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*' }));
    return true;
  } catch (error) {
    if (isPreconditionFailed(error)) return false;
    throw error;
  }
}

/**
 * Writes the digest file of `key` unless it exists; an existing one must name `sha256`, else
 * the pair is inconsistent and that is a conflict too.
 */
export async function ensureDigestFile(s3: S3Client, bucket: string, key: string, sha256: string, uri: string): Promise<void> {
  const fileKey = digestFileKey(key);
  if (await putIfAbsent(s3, bucket, fileKey, digestFileBody(sha256, key), 'text/plain; charset=utf-8')) return;
  const recorded = parseDigestFile((await readText(s3, bucket, fileKey)) ?? '', key);
  if (recorded !== sha256) throw new ArtifactConflictError(`${uri}.sha256`, recorded ?? '(unreadable digest file)', sha256);
}
