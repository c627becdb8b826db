// A Writable that uploads what is written to it to S3 as a multipart upload, so a zip can be
// streamed to S3 with no local file. The AWS SDK is an optional peer dependency: it is loaded
// when the stream is constructed, never at import time.
import type { S3Client } from '@aws-sdk/client-s3';
import { PassThrough, Writable } from 'node:stream';
import { CompressionError } from '../errors/index.js';

/** Options of {@link s3UploadStream}. */
export interface S3UploadStreamOptions {
  /** The S3 client (its region, credentials and endpoint are used as they are). */
  client: S3Client;
  /** Bucket to write to. */
  bucket: string;
  /** Object key. */
  key: string;
  /** Content type. Default `application/zip`. */
  contentType?: string;
  /** Part size in bytes (at least 5 MiB). Default 8 MiB. Memory held is about `partSize * queueSize`. */
  partSize?: number;
  /** Parts uploaded at once. Default 2. */
  queueSize?: number;
  /**
   * S3 additional checksum the SDK computes and S3 verifies for every part (or the single PUT),
   * e.g. `'SHA256'`. A multipart upload then has a composite checksum (a checksum of the parts'
   * checksums, `…-<parts>`), a single PUT a full-object one. Default: the SDK's own choice
   * (CRC32 when the client's `requestChecksumCalculation` is `WHEN_SUPPORTED`, else none).
   */
  checksumAlgorithm?: 'SHA256' | 'SHA1' | 'CRC32' | 'CRC32C' | 'CRC64NVME';
  /**
   * `'*'` sends `If-None-Match: *` on the PUT (or on CompleteMultipartUpload), so S3 refuses to
   * replace an object that already exists: the stream then fails with a `CompressionError` of
   * reason `OUTPUT_EXISTS` and the upload is aborted. Servers without conditional writes ignore
   * the header (s3rver 3.7.1 does), so check with a HEAD first where that matters.
   */
  ifNoneMatch?: '*';
  /** User metadata (`x-amz-meta-*`), set when the upload is created. */
  metadata?: Record<string, string>;
}

/** What the upload returned. */
export interface S3UploadResult {
  /** Bucket written. */
  bucket: string;
  /** Key written. */
  key: string;
  /** The object's ETag, when S3 returned one. */
  etag: string | undefined;
  /** The object's version, when the bucket is versioned. */
  versionId?: string;
  /** The SHA-256 checksum S3 stored (base64; `…-<parts>` for a multipart upload), when one was asked for. */
  checksumSHA256?: string;
  /** `FULL_OBJECT` or `COMPOSITE`, when S3 said. */
  checksumType?: string;
}

/** A Writable that finishes only once the upload has completed; `done()` gives the result. */
export interface S3UploadStream extends Writable {
  /** Resolves with the upload's result once it has completed; rejects when it failed. */
  done(): Promise<S3UploadResult>;
}

/**
 * A Writable whose bytes become one S3 object, via `@aws-sdk/lib-storage`'s multipart `Upload`.
 * `'finish'` is emitted only after the upload completed, so an `IncrementalZipper` (root entry) writing
 * to it resolves `finalize()` when the object exists. A failed or destroyed stream aborts the
 * multipart upload.
 *
 * @example
 * ```ts
 * const upload = s3UploadStream({ client: new S3Client({}), bucket: 'models', key: 'deployments/a/component.zip' });
 * const zipper = new IncrementalZipper(upload);
 * await zipper.addBuffer('{}', 'manifest.json');
 * await zipper.finalize();
 * const { etag } = await upload.done();
 * ```
 */
export function s3UploadStream(options: S3UploadStreamOptions): S3UploadStream {
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  let upload: { done(): Promise<UploadOutput>; abort(): Promise<void> } | undefined;
  let result: Promise<S3UploadResult> | undefined;
  const stream = new Writable({
    highWaterMark: 1024 * 1024,
    construct(callback) {
      import('@aws-sdk/lib-storage')
        .then(({ Upload }) => {
          upload = new Upload({
            client: options.client,
            params: {
              Bucket: options.bucket,
              Key: options.key,
              Body: body,
              ContentType: options.contentType ?? 'application/zip',
              // lib-storage passes the same params to PutObject, CreateMultipartUpload, UploadPart
              // and CompleteMultipartUpload; each command keeps the fields it has.
              ...(options.checksumAlgorithm ? { ChecksumAlgorithm: options.checksumAlgorithm } : {}),
              ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
              ...(options.metadata ? { Metadata: options.metadata } : {}),
            },
            partSize: options.partSize ?? 8 * 1024 * 1024,
            queueSize: options.queueSize ?? 2,
            leavePartsOnError: false,
          });
          result = upload.done().then((output) => ({
            bucket: options.bucket,
            key: options.key,
            etag: output.ETag,
            ...(output.VersionId ? { versionId: output.VersionId } : {}),
            ...(output.ChecksumSHA256 ? { checksumSHA256: output.ChecksumSHA256 } : {}),
            ...(output.ChecksumType ? { checksumType: output.ChecksumType } : {}),
          }));
          // Surface an upload failure while bytes are still being written.
          result.catch((error: unknown) => stream.destroy(typeUploadError(error, options)));
          callback();
        })
        .catch((error: unknown) =>
          callback(new CompressionError(`cannot load @aws-sdk/lib-storage to upload to S3: ${(error as Error).message}`, { reason: 'WRITE_FAILED', cause: error, suggestion: 'npm install @aws-sdk/client-s3 @aws-sdk/lib-storage' })),
        );
    },
    write(chunk: Buffer, _encoding, callback) {
      if (body.write(chunk)) callback();
      else body.once('drain', () => callback());
    },
    final(callback) {
      body.end();
      result!.then(() => callback(), (error: unknown) => callback(typeUploadError(error, options)));
    },
    destroy(error, callback) {
      if (error && upload) void upload.abort().catch(() => undefined);
      body.destroy();
      callback(error);
    },
  }) as S3UploadStream;
  stream.done = () => {
    if (!result) return Promise.reject(new CompressionError('the S3 upload has not started', { reason: 'INVALID_STATE' }));
    return result;
  };
  return stream;
}

/** The fields of PutObject's and CompleteMultipartUpload's output that the result carries. */
interface UploadOutput {
  ETag?: string;
  VersionId?: string;
  ChecksumSHA256?: string;
  ChecksumType?: string;
}

/** True for S3's answer to a conditional write whose condition failed (`412 PreconditionFailed`). Internal: not re-exported. */
export function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'PreconditionFailed' || e?.Code === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}

export function typeUploadError(error: unknown, options: Pick<S3UploadStreamOptions, 'bucket' | 'key' | 'ifNoneMatch'>): Error {
  if (error instanceof CompressionError) return error;
  if (options.ifNoneMatch && isPreconditionFailed(error)) {
    return new CompressionError(`s3://${options.bucket}/${options.key} already exists and If-None-Match: * forbids replacing it`, {
      reason: 'OUTPUT_EXISTS',
      cause: error,
      details: { bucket: options.bucket, key: options.key },
      suggestion: 'write under a new key, or compare the existing object with yours before deciding',
    });
  }
  return new CompressionError(`uploading s3://${options.bucket}/${options.key} failed: ${(error as Error)?.message ?? String(error)}`, {
    reason: 'WRITE_FAILED',
    cause: error,
  });
}
