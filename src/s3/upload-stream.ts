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
}

/** What the upload returned. */
export interface S3UploadResult {
  /** Bucket written. */
  bucket: string;
  /** Key written. */
  key: string;
  /** The object's ETag, when S3 returned one. */
  etag: string | undefined;
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
  let upload: { done(): Promise<{ ETag?: string }>; abort(): Promise<void> } | undefined;
  let result: Promise<S3UploadResult> | undefined;
  const stream = new Writable({
    highWaterMark: 1024 * 1024,
    construct(callback) {
      import('@aws-sdk/lib-storage')
        .then(({ Upload }) => {
          upload = new Upload({
            client: options.client,
            params: { Bucket: options.bucket, Key: options.key, Body: body, ContentType: options.contentType ?? 'application/zip' },
            partSize: options.partSize ?? 8 * 1024 * 1024,
            queueSize: options.queueSize ?? 2,
            leavePartsOnError: false,
          });
          result = upload.done().then((output) => ({ bucket: options.bucket, key: options.key, etag: output.ETag }));
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

function typeUploadError(error: unknown, options: S3UploadStreamOptions): Error {
  if (error instanceof CompressionError) return error;
  return new CompressionError(`uploading s3://${options.bucket}/${options.key} failed: ${(error as Error)?.message ?? String(error)}`, {
    reason: 'WRITE_FAILED',
    cause: error,
  });
}
