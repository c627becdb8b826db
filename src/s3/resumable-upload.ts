// A multipart upload that a retry can resume. s3UploadStream (lib-storage) aborts its upload
// when it fails, so a retry of a 5 GiB zip sends 5 GiB again; this stream leaves a failed
// upload open, and the next attempt given its id asks S3 which parts it already holds
// (ListParts) and skips every part whose size and MD5 match the bytes it would send. The bytes
// are produced again either way (a stream cannot seek), but only the missing parts cross the
// network. Parts are compared, never trusted: a part whose bytes differ is sent again, so a
// resumed object is always exactly the bytes of the attempt that completed it.
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { CompressionError, ConfigurationError } from '../errors/index.js';
import { MiB } from '../units.js';
import { isPreconditionFailed, typeUploadError, type S3UploadResult, type S3UploadStreamOptions } from './upload-stream.js';

/** Options of {@link s3ResumableUploadStream}. */
export interface S3ResumableUploadOptions extends Omit<S3UploadStreamOptions, 'partSize'> {
  /**
   * The id of an earlier attempt's open upload of the same key, to resume (from the failed
   * stream's `uploadId`, or {@link findOpenUpload}). An id S3 no longer knows (completed or
   * aborted) starts a new upload. Default: a new upload.
   */
  uploadId?: string;
  /**
   * Part size in bytes, at least 5 MiB. Default 8 MiB. A resumed attempt must use the part
   * size of the first, or no part will match. Memory held is about `partSize * (queueSize + 1)`.
   */
  partSize?: number;
}

/** What a resumable upload returned. */
export interface S3ResumableUploadResult extends S3UploadResult {
  /** The multipart upload that became the object; `''` when the object was one PutObject. */
  uploadId: string;
  /** Parts sent in this attempt. */
  partsUploaded: number;
  /** Parts an earlier attempt had sent with the same bytes, kept instead of sent again. */
  partsReused: number;
  /** Bytes sent in this attempt. */
  bytesUploaded: number;
}

/** A Writable whose bytes become one S3 object; its upload survives a failure, for a retry to resume. */
export interface S3ResumableUploadStream extends Writable {
  /**
   * The multipart upload's id, once created (when the first whole part is ready) or resumed;
   * undefined for an object smaller than one part, which is sent as one PutObject.
   */
  readonly uploadId: string | undefined;
  /** Resolves once the object exists; rejects when the upload failed. */
  done(): Promise<S3ResumableUploadResult>;
  /** Aborts the multipart upload and deletes its parts (after a failure that will not be retried). */
  abort(): Promise<void>;
}

/** A part S3 already holds, as ListParts reported it. */
interface HeldPart {
  size: number;
  etag: string;
  checksums: Partial<Record<ChecksumField, string>>;
}

const CHECKSUM_FIELDS = ['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256'] as const;
type ChecksumField = (typeof CHECKSUM_FIELDS)[number];
const MAX_PARTS = 10_000;

function checksumsOf(source: Partial<Record<ChecksumField, string | undefined>>): Partial<Record<ChecksumField, string>> {
  const out: Partial<Record<ChecksumField, string>> = {};
  for (const field of CHECKSUM_FIELDS) if (source[field]) out[field] = source[field];
  return out;
}

function isNoSuchUpload(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'NoSuchUpload' || e?.Code === 'NoSuchUpload' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * The newest open multipart upload of `key`, or undefined: what a new process (a Lambda retried
 * by Step Functions, say) passes as `uploadId` to resume the attempt before it.
 *
 * @example
 * ```ts
 * const uploadId = await findOpenUpload({ client, bucket: 'models', key: 'deployments/c/1.0.0/jetson/c.zip' });
 * const upload = s3ResumableUploadStream({ client, bucket: 'models', key: 'deployments/c/1.0.0/jetson/c.zip', uploadId });
 * ```
 */
export async function findOpenUpload(options: { client: S3Client; bucket: string; key: string }): Promise<string | undefined> {
  const { ListMultipartUploadsCommand } = await import('@aws-sdk/client-s3');
  let newest: { id: string; initiated: number } | undefined;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await options.client.send(
      new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix: options.key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key !== options.key || !upload.UploadId) continue;
      const initiated = upload.Initiated?.getTime() ?? 0;
      if (!newest || initiated >= newest.initiated) newest = { id: upload.UploadId, initiated };
    }
    if (!page.IsTruncated) return newest?.id;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/**
 * A Writable whose bytes become one S3 object through a multipart upload that a retry can
 * resume: a failed or destroyed stream leaves the upload open (its `uploadId` says which), and a
 * new stream given that id sends only the parts S3 does not already hold with the same bytes.
 * `'finish'` is emitted once the object exists. Call `abort()` when you give up, and keep a
 * bucket lifecycle rule (`AbortIncompleteMultipartUpload`) for the runs that die before either.
 * Parts are matched by their MD5 ETag, so under SSE-KMS (whose ETags are not MD5) nothing is
 * reused and a resume sends every part again.
 *
 * @example
 * ```ts
 * let uploadId: string | undefined;
 * await withRetry(async () => {
 *   const upload = s3ResumableUploadStream({ client, bucket: 'models', key: 'deployments/c/1.0.0/jetson/c.zip', uploadId });
 *   try {
 *     await repackage({ source: 'model.tar.gz', output: upload });
 *     console.log((await upload.done()).partsReused, 'parts kept from the last attempt');
 *   } finally {
 *     uploadId = upload.uploadId;
 *   }
 * });
 * ```
 */
export function s3ResumableUploadStream(options: S3ResumableUploadOptions): S3ResumableUploadStream {
  const partSize = options.partSize ?? 8 * MiB;
  const queueSize = options.queueSize ?? 2;
  if (!Number.isSafeInteger(partSize) || partSize < 5 * MiB) throw new ConfigurationError('partSize', 'must be an integer of at least 5 MiB (S3 refuses smaller parts)', partSize);
  if (!Number.isSafeInteger(queueSize) || queueSize < 1) throw new ConfigurationError('queueSize', 'must be an integer of at least 1', queueSize);
  type Sdk = typeof import('@aws-sdk/client-s3');
  const { client, bucket, key } = options;
  const controller = new AbortController();
  let sdk: Sdk;
  let uploadId: string | undefined;
  let held = new Map<number, HeldPart>();
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let nextPart = 1;
  const counts = { partsUploaded: 0, partsReused: 0, bytesUploaded: 0 };
  let settle!: { resolve(result: S3ResumableUploadResult): void; reject(error: Error): void };
  const result = new Promise<S3ResumableUploadResult>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined);

  /** The parts S3 holds for `id`, or undefined when it no longer knows the upload. */
  const listHeld = async (id: string): Promise<Map<number, HeldPart> | undefined> => {
    const parts = new Map<number, HeldPart>();
    let marker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await client.send(new sdk.ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumberMarker: marker }), { abortSignal: controller.signal });
      } catch (error) {
        if (isNoSuchUpload(error)) return undefined;
        throw error;
      }
      for (const part of page.Parts ?? []) {
        if (part.PartNumber && part.ETag) parts.set(part.PartNumber, { size: part.Size ?? -1, etag: part.ETag.replace(/"/g, ''), checksums: checksumsOf(part) });
      }
      if (!page.IsTruncated) return parts;
      marker = page.NextPartNumberMarker;
    }
  };

  const start = async (): Promise<void> => {
    sdk = await import('@aws-sdk/client-s3');
    if (!options.uploadId) return;
    const parts = await listHeld(options.uploadId);
    if (parts) {
      uploadId = options.uploadId;
      held = parts;
    }
  };

  /** The multipart upload, created when the first whole part is ready (a smaller object is one PUT). */
  let creating: Promise<void> | undefined;
  const ensureUpload = (): Promise<void> => (creating ??= uploadId ? Promise.resolve() : createUpload());
  const createUpload = async (): Promise<void> => {
    const created = await client.send(
      new sdk.CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        ContentType: options.contentType ?? 'application/zip',
        ...(options.checksumAlgorithm ? { ChecksumAlgorithm: options.checksumAlgorithm } : {}),
        ...(options.metadata ? { Metadata: options.metadata } : {}),
      }),
      { abortSignal: controller.signal },
    );
    if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    uploadId = created.UploadId;
  };

  /** Keeps the part S3 already holds with these bytes, or sends it. */
  const sendPart = async (partNumber: number, body: Buffer): Promise<void> => {
    await ensureUpload();
    const md5 = createHash('md5').update(body).digest();
    const prior = held.get(partNumber);
    if (prior && prior.size === body.length && prior.etag === md5.toString('hex')) {
      completed.push({ PartNumber: partNumber, ETag: `"${prior.etag}"`, ...prior.checksums });
      counts.partsReused++;
      return;
    }
    const sent = await client.send(
      new sdk.UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
        // S3 checks the part against this, so a body damaged in transit is refused, not stored.
        ContentMD5: md5.toString('base64'),
        ...(options.checksumAlgorithm ? { ChecksumAlgorithm: options.checksumAlgorithm } : {}),
      }),
      { abortSignal: controller.signal },
    );
    completed.push({ PartNumber: partNumber, ETag: sent.ETag, ...checksumsOf(sent) });
    counts.partsUploaded++;
    counts.bytesUploaded += body.length;
  };

  const enqueue = (body: Buffer): void => {
    const partNumber = nextPart++;
    if (partNumber > MAX_PARTS) {
      failure ??= new CompressionError(`s3://${bucket}/${key} would need more than ${MAX_PARTS} parts of ${partSize} bytes`, {
        reason: 'WRITE_FAILED',
        details: { bucket, key, partSize },
        suggestion: 'raise partSize so that partSize * 10,000 exceeds the object size',
      });
      return;
    }
    const task = sendPart(partNumber, body).then(
      () => void inFlight.delete(task),
      (error: unknown) => {
        inFlight.delete(task);
        failure ??= typeUploadError(error, options);
      },
    );
    inFlight.add(task);
  };

  /** Cuts whole parts off the pending bytes. */
  const cutParts = (): void => {
    while (pendingBytes >= partSize) {
      const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      enqueue(joined.subarray(0, partSize));
      const rest = joined.subarray(partSize);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
  };

  /** Waits until fewer than `limit` parts are in flight; throws the first failure. */
  const drainTo = async (limit: number): Promise<void> => {
    while (inFlight.size >= limit && failure === undefined) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  /** An object smaller than one part, and no upload to resume: one PutObject. */
  const putWhole = async (body: Buffer): Promise<S3ResumableUploadResult> => {
    try {
      const output = await client.send(
        new sdk.PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: createHash('md5').update(body).digest('base64'),
          ContentType: options.contentType ?? 'application/zip',
          ...(options.checksumAlgorithm ? { ChecksumAlgorithm: options.checksumAlgorithm } : {}),
          ...(options.metadata ? { Metadata: options.metadata } : {}),
          ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
        }),
        { abortSignal: controller.signal },
      );
      return {
        bucket,
        key,
        etag: output.ETag,
        ...(output.VersionId ? { versionId: output.VersionId } : {}),
        ...(output.ChecksumSHA256 ? { checksumSHA256: output.ChecksumSHA256 } : {}),
        ...(output.ChecksumType ? { checksumType: output.ChecksumType } : {}),
        uploadId: '',
        partsUploaded: 1,
        partsReused: 0,
        bytesUploaded: body.length,
      };
    } catch (error) {
      throw typeUploadError(error, options);
    }
  };

  const complete = async (): Promise<S3ResumableUploadResult> => {
    const rest = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    if (nextPart === 1 && uploadId === undefined) return putWhole(rest);
    if (nextPart === 1 || pendingBytes > 0) enqueue(rest);
    pending = [];
    pendingBytes = 0;
    await drainTo(1);
    completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    try {
      const output = await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
          ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
        }),
        { abortSignal: controller.signal },
      );
      return {
        bucket,
        key,
        etag: output.ETag,
        ...(output.VersionId ? { versionId: output.VersionId } : {}),
        ...(output.ChecksumSHA256 ? { checksumSHA256: output.ChecksumSHA256 } : {}),
        ...(output.ChecksumType ? { checksumType: output.ChecksumType } : {}),
        uploadId: uploadId!,
        ...counts,
      };
    } catch (error) {
      // The key is taken: no retry can succeed, so the parts are not kept for one.
      if (options.ifNoneMatch && isPreconditionFailed(error)) await abortUpload().catch(() => undefined);
      throw typeUploadError(error, options);
    }
  };

  const abortUpload = async (): Promise<void> => {
    if (!uploadId) return;
    const { AbortMultipartUploadCommand } = sdk ?? (await import('@aws-sdk/client-s3'));
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (!isNoSuchUpload(error)) throw typeUploadError(error, options);
    }
  };

  const stream = new Writable({
    highWaterMark: MiB,
    construct(callback) {
      start().then(
        () => callback(),
        (error: unknown) => {
          const typed =
            (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND'
              ? new CompressionError(`cannot load @aws-sdk/client-s3 to upload to S3: ${(error as Error).message}`, { reason: 'WRITE_FAILED', cause: error, suggestion: 'npm install @aws-sdk/client-s3' })
              : typeUploadError(error, options);
          settle.reject(typed);
          callback(typed);
        },
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      if (failure) return callback(failure);
      pending.push(chunk);
      pendingBytes += chunk.length;
      cutParts();
      drainTo(queueSize).then(() => callback(), callback);
    },
    final(callback) {
      const finished = failure ? Promise.reject(failure) : complete();
      finished.then(
        (output) => {
          settle.resolve(output);
          callback();
        },
        (error: Error) => {
          settle.reject(error);
          callback(error);
        },
      );
    },
    destroy(error, callback) {
      // The upload stays open for a resume. When one of its own parts failed, the parts still in
      // flight are let finish, so the resume finds them; any other end (the caller's error or
      // destroy) stops this attempt's requests at once.
      pending = [];
      settle.reject(error ?? new CompressionError(`the upload to s3://${bucket}/${key} was destroyed before it completed`, { reason: 'WRITE_FAILED' }));
      const siblings = error !== null && error === failure ? [...inFlight] : [];
      if (siblings.length === 0) controller.abort();
      void Promise.allSettled(siblings).then(() => {
        controller.abort();
        callback(error);
      });
    },
  }) as S3ResumableUploadStream;
  Object.defineProperty(stream, 'uploadId', { get: () => uploadId, enumerable: true });
  stream.done = () => result;
  stream.abort = abortUpload;
  return stream;
}
