// The producer's work, apart from the Lambda plumbing: keep the mount's copy of a model fresh.
// Freshness is decided by content, not by name: an S3 copy is keyed on the object's ETag (a
// conditional GET copies only an object whose ETag differs from the one recorded, so an
// overwritten object replaces the stale copy), a payload on its SHA-256 (the same bytes again
// write nothing, other bytes replace the file). Both the file and its record are replaced by
// atomic renames, the file first.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InsufficientStorageError, readDiskSpace } from 'storage-safe-archive';
import type { EfsLayout } from '../efs/efs-layout.js';
import { writeFileAtomically } from '../efs/atomic-write.js';
import { fileIdForKey } from '../efs/model-key.js';
import { readIngestRecord, writeIngestRecord, type IngestRecord, type IngestSource } from './ingest-record.js';

/** The outcome of an ingest: the record, and whether this call wrote it. */
export interface IngestOutcome {
  /** The record at `inputs/<fileId>.json`. */
  record: IngestRecord;
  /** False when the mount already held these bytes under the key and nothing was written. */
  created: boolean;
  /** True when this call replaced an older copy under the key (another ETag, other bytes). */
  replaced?: boolean;
}

/** The S3 object to copy is not there. */
export class ModelObjectNotFoundError extends Error {
  override readonly name = 'ModelObjectNotFoundError';
  constructor(
    readonly bucket: string,
    readonly objectKey: string,
  ) {
    super(`s3://${bucket}/${objectKey} does not exist: upload it first, or send { data } instead of { key }`);
  }
}

/**
 * The existing record of `key`, if the model file is on the mount. A model without a record
 * (a crash between the two renames, or a file copied there by hand) gets its record now.
 */
export async function findExisting(layout: EfsLayout, key: string, source: IngestSource): Promise<IngestRecord | undefined> {
  const fileId = fileIdForKey(key);
  const path = layout.modelPath(key);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return undefined;
    size = info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const record = await readIngestRecord(layout, fileId);
  if (record && record.key === key && record.bytes === size) return record;
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  // No ETag is known for a rebuilt record: the next S3 ingest copies the object again.
  const rebuilt: IngestRecord = { fileId, key, path, bytes: size, sha256: hash.digest('hex'), source, ingestedAt: new Date().toISOString() };
  await writeIngestRecord(layout, rebuilt);
  return rebuilt;
}

/** Writes the model bytes and then its record; both are atomic renames. */
async function publish(
  layout: EfsLayout,
  key: string,
  source: IngestSource,
  body: Readable | Uint8Array,
  expectedBytes?: number,
  origin: { etag?: string; versionId?: string } = {},
): Promise<IngestRecord> {
  const written = await writeFileAtomically(layout.modelPath(key), body, { expectedBytes });
  const record: IngestRecord = {
    fileId: fileIdForKey(key),
    key,
    path: written.path,
    bytes: written.bytes,
    sha256: written.sha256,
    source,
    ...(origin.etag ? { etag: origin.etag } : {}),
    ...(origin.versionId ? { versionId: origin.versionId } : {}),
    ingestedAt: new Date().toISOString(),
  };
  await writeIngestRecord(layout, record);
  return record;
}

/** Refuses before writing when the mount cannot hold `bytes` (EFS reports exabytes; a local folder may not). */
async function ensureRoom(layout: EfsLayout, bytes: number, operation: string): Promise<void> {
  const disk = await readDiskSpace(layout.modelsDir);
  if (disk.availableBytes < bytes) {
    throw new InsufficientStorageError({
      requiredBytes: bytes,
      availableBytes: disk.availableBytes,
      totalBytes: disk.totalBytes,
      path: layout.modelsDir,
      operation,
    });
  }
}

/** Stores a payload sent to /ingest as `models/<key>`, unless the key already holds these bytes. */
export async function ingestData(layout: EfsLayout, key: string, data: Uint8Array): Promise<IngestOutcome> {
  const existing = await findExisting(layout, key, 'data');
  if (existing && existing.sha256 === createHash('sha256').update(data).digest('hex')) return { record: existing, created: false };
  await ensureRoom(layout, data.length, `storing ${data.length} bytes as models/${key}`);
  return { record: await publish(layout, key, 'data', data, data.length), created: true, ...(existing ? { replaced: true } : {}) };
}

function isNotModified(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotModified' || e?.$metadata?.httpStatusCode === 304;
}

/**
 * Copies `s3://<bucket>/models/<key>` to `models/<key>` on the mount by streaming the object
 * body straight into the temporary file: memory stays flat whatever the size (1 GiB and more).
 */
export async function ingestFromS3(layout: EfsLayout, s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<IngestOutcome> {
  const existing = await findExisting(layout, key, 's3');
  // Only an S3 copy whose ETag is recorded can be known fresh; anything else is copied again.
  const knownEtag = existing?.source === 's3' ? existing.etag : undefined;
  const objectKey = `models/${key}`;
  let response;
  try {
    response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey, ...(knownEtag ? { IfNoneMatch: knownEtag } : {}) }), { abortSignal: signal });
  } catch (error) {
    // 304: the object still has the ETag of the copy on the mount.
    if (existing && knownEtag && isNotModified(error)) return { record: existing, created: false };
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') throw new ModelObjectNotFoundError(bucket, objectKey);
    throw error;
  }
  const body = response.Body as Readable | undefined;
  if (!body) throw new Error(`s3://${bucket}/${objectKey} returned no body`);
  const expectedBytes = response.ContentLength;
  try {
    if (expectedBytes !== undefined) await ensureRoom(layout, expectedBytes, `copying s3://${bucket}/${objectKey}`);
  } catch (error) {
    body.destroy();
    throw error;
  }
  const record = await publish(layout, key, 's3', body, expectedBytes, { ...(response.ETag ? { etag: response.ETag } : {}), ...(response.VersionId ? { versionId: response.VersionId } : {}) });
  return { record, created: true, ...(existing ? { replaced: true } : {}) };
}
