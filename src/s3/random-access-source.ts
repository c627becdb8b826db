// A RandomAccessSource over an S3 object, read with ranged GETs, so a zip in S3 can be listed
// and selectively extracted without downloading it whole. Needs the AWS SDK (loaded on first use).
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RandomAccessSource } from '../extract/types.js';

/** Where the object is, and the client to read it with (the SDK is an optional peer dependency). */
export interface S3RandomAccessSourceOptions {
  /** A configured S3 client. */
  client: S3Client;
  /** Bucket name. */
  bucket: string;
  /** Object key. */
  key: string;
  /** The object's size, if known (saves a HeadObject). */
  size?: number;
}

/** An S3-backed source that also counts what it fetched (for logs and tests). */
export interface S3RandomAccessSource extends RandomAccessSource {
  /** Bytes received from S3 so far. */
  readonly bytesFetched: number;
  /** Ranged GETs issued so far. */
  readonly requests: number;
}

/**
 * Reads an S3 object by ranged `GetObject` requests (`Range: bytes=start-end`). Listing a zip
 * through it fetches the end-of-central-directory record and the central directory only.
 *
 * @example
 * ```ts
 * const source = await s3RandomAccessSource({ client, bucket: 'models', key: 'm.zip' });
 * await extractor.extractSelective(source, '/tmp/m', ['*.json']);
 * console.log(source.bytesFetched, 'of', source.size);
 * ```
 */
export async function s3RandomAccessSource(options: S3RandomAccessSourceOptions): Promise<S3RandomAccessSource> {
  const { GetObjectCommand, HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const { client, bucket, key } = options;
  const size = options.size ?? Number((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0);
  let bytesFetched = 0;
  let requests = 0;
  return {
    size,
    name: `s3://${bucket}/${key}`,
    get bytesFetched() {
      return bytesFetched;
    },
    get requests() {
      return requests;
    },
    createReadStream(start: number, end: number): Readable {
      const out = new PassThrough();
      if (end <= start) return out.end() as PassThrough;
      const controller = new AbortController();
      out.once('close', () => controller.abort());
      requests++;
      client
        .send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }), { abortSignal: controller.signal })
        .then(async (response) => {
          const body = response.Body as Readable;
          body.on('data', (chunk: Buffer) => {
            bytesFetched += chunk.length;
          });
          await pipeline(body, out);
        })
        .catch((error: unknown) => {
          if (!out.destroyed) out.destroy(error as Error);
        });
      return out;
    },
  };
}
