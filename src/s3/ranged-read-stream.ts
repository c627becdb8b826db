// An S3 object as a Readable, fetched as several ranged GETs at once into an ordered, bounded
// read-ahead. One GET stream is limited by one connection's throughput, which on Lambda is below
// what inflate consumes; a few ranges in flight keep gunzip fed. Each part is held whole until
// it is handed on, so a connection cut mid-part is retried from the part's start and the bytes
// that come out are the object's, in order, exactly once. Every GET carries `If-Match` with the
// ETag read first, and its answer's ETag is compared with it: an object replaced mid-read fails
// (SOURCE_CHANGED) instead of mixing two versions.
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigurationError, ExtractionError } from '../errors/index.js';
import { withRetry } from '../retry/index.js';
import { MiB } from '../units.js';

/** Options of {@link s3RangedReadStream}. */
export interface S3RangedReadStreamOptions {
  /** The S3 client (its region, credentials and endpoint are used as they are). */
  client: S3Client;
  /** Bucket. */
  bucket: string;
  /** Object key. */
  key: string;
  /** Bytes per ranged GET. Default 8 MiB. */
  partSize?: number;
  /** Ranged GETs in flight (and parts held). Default 4. Memory held is about `partSize * concurrency`. */
  concurrency?: number;
  /** Attempts after the first for one part, on throttling, dropped connections and 5xx. Default 4. */
  retries?: number;
  /** First retry delay in milliseconds (doubles, with jitter). Default 200. */
  minRetryDelayMs?: number;
  /** Stops the reads; the stream fails with the signal's reason. */
  signal?: AbortSignal;
}

/** What an {@link s3RangedReadStream} has done so far (for logs and tests). */
export interface S3RangedReadStats {
  /** The object's size, once known. */
  size: number | undefined;
  /** The ETag every GET was pinned to. */
  etag: string | undefined;
  /** Ranged GETs sent, retries included. */
  requests: number;
  /** Parts fetched again after a failed attempt. */
  retries: number;
}

/** The stream {@link s3RangedReadStream} returns: the object's bytes, and what it took to get them. */
export interface S3RangedReadStream extends Readable {
  /** Requests, retries, size and ETag so far. */
  readonly stats: S3RangedReadStats;
}

/** A part whose body ended before its range did: retried like a dropped connection. */
function shortPart(start: number, expected: number, got: number): Error {
  return Object.assign(new Error(`ranged GET at ${start} ended after ${got} of ${expected} bytes`), { code: 'ECONNRESET' });
}

function checkPositiveInteger(name: string, value: number, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) throw new ConfigurationError(name, `must be an integer of at least ${minimum}`, value);
}

/**
 * Reads an S3 object with `concurrency` ranged GETs of `partSize` bytes in flight, and yields
 * its bytes in order. Memory is bounded by `partSize * concurrency`; nothing touches the disk.
 *
 * @example
 * ```ts
 * const source = s3RangedReadStream({ client: new S3Client({}), bucket: 'models', key: 'models/compilation/j1/jetson/model.tar.gz' });
 * await repackage({ source, output: s3UploadStream({ client, bucket: 'models', key: 'deployments/j1/1.0.0/jetson.zip' }) });
 * console.log(source.stats.requests, 'GETs');
 * ```
 */
export function s3RangedReadStream(options: S3RangedReadStreamOptions): S3RangedReadStream {
  const partSize = options.partSize ?? 8 * MiB;
  const concurrency = options.concurrency ?? 4;
  checkPositiveInteger('partSize', partSize, 1);
  checkPositiveInteger('concurrency', concurrency, 1);
  const stats: S3RangedReadStats = { size: undefined, etag: undefined, requests: 0, retries: 0 };
  const inFlight = new Map<number, Promise<Buffer>>();
  const controller = new AbortController();
  const signal = options.signal === undefined ? controller.signal : AbortSignal.any([controller.signal, options.signal]);
  let sdk: typeof import('@aws-sdk/client-s3') | undefined;
  let nextToFetch = 0;
  let nextToPush = 0;
  let parts = 0;
  let reading = false;

  const fetchPart = (index: number): Promise<Buffer> => {
    const start = index * partSize;
    const end = Math.min(start + partSize, stats.size as number) - 1;
    let attempt = 0;
    return withRetry(
      async () => {
        if (attempt++ > 0) stats.retries++;
        stats.requests++;
        const { GetObjectCommand } = sdk as typeof import('@aws-sdk/client-s3');
        const changed = (now: string | undefined, cause?: unknown) =>
          new ExtractionError(`s3://${options.bucket}/${options.key} changed while it was read (ETag ${stats.etag}, then ${now ?? 'another'} at byte ${start})`, {
            reason: 'SOURCE_CHANGED',
            details: { bucket: options.bucket, key: options.key, etag: stats.etag, newEtag: now, offset: start },
            ...(cause === undefined ? {} : { cause }),
          });
        const response = await options.client
          .send(new GetObjectCommand({ Bucket: options.bucket, Key: options.key, Range: `bytes=${start}-${end}`, IfMatch: stats.etag }), { abortSignal: signal })
          .catch((error: unknown) => {
            // S3 refuses a replaced object with 412 Precondition Failed.
            throw (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412 ? changed(undefined, error) : error;
          });
        // Servers that ignore If-Match (s3rver) still answer with the object's ETag.
        if (response.ETag !== undefined && stats.etag !== undefined && response.ETag !== stats.etag) {
          await response.Body?.transformToByteArray().catch(() => undefined);
          throw changed(response.ETag);
        }
        const body = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
        if (body.length !== end - start + 1) throw shortPart(start, end - start + 1, body.length);
        return body;
      },
      { retries: options.retries ?? 4, minTimeoutMs: options.minRetryDelayMs ?? 200, factor: 2, randomize: true, signal },
    );
  };

  // Keeps `concurrency` parts fetched or in flight ahead of the reader; never more.
  const topUp = () => {
    while (nextToFetch < parts && nextToFetch - nextToPush < concurrency) {
      const index = nextToFetch++;
      const part = fetchPart(index);
      part.catch(() => undefined); // observed here; the error reaches the stream through read()
      inFlight.set(index, part);
    }
  };

  const stream = new Readable({
    highWaterMark: 0,
    read() {
      if (reading) return;
      reading = true;
      void (async () => {
        try {
          if (sdk === undefined) {
            sdk = await import('@aws-sdk/client-s3');
            const head = await options.client.send(new sdk.HeadObjectCommand({ Bucket: options.bucket, Key: options.key }), { abortSignal: signal });
            stats.size = head.ContentLength ?? 0;
            stats.etag = head.ETag;
            parts = Math.ceil(stats.size / partSize);
          }
          if (nextToPush >= parts) {
            this.push(null);
            return;
          }
          topUp();
          const index = nextToPush;
          const part = await (inFlight.get(index) as Promise<Buffer>);
          inFlight.delete(index);
          nextToPush++;
          topUp();
          reading = false;
          this.push(part);
        } catch (error) {
          this.destroy(error as Error);
        }
      })();
    },
    destroy(error, callback) {
      controller.abort();
      inFlight.clear();
      callback(error);
    },
  });
  return Object.assign(stream, { stats }) as S3RangedReadStream;
}
