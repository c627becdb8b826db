// Requirement 5.5: during the transition a reader accepts both layouts. It asks for the key in
// the new layout first and falls back to the legacy key, so a reader works before, during and
// after the migration without knowing which stage the bucket is at.
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_LEGACY_RULES, resolveLegacyKey, type LegacyRule } from './legacy-rules.js';

/** Options of {@link readThrough}. */
export interface ReadThroughOptions {
  /** The bucket. */
  bucket: string;
  /** The layout prefix, if any. */
  prefix?: string;
  /** Legacy rules; defaults to {@link DEFAULT_LEGACY_RULES}. */
  rules?: readonly LegacyRule[];
  /** A byte range (`bytes=0-99`) passed to GetObject. */
  range?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** The object {@link readThrough} found and which key it was found at. */
export interface ReadThroughResult {
  /** The key that answered. */
  key: string;
  /** Whether the answer came from the legacy key (the new copy does not exist yet). */
  fromLegacy: boolean;
  /** The GetObject output; read `Body` as a stream. */
  object: GetObjectCommandOutput;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Gets `key` from its new-layout location first, then from the legacy key it came from. Give
 * it either form: a legacy key is resolved to its new equivalent first. Throws the first
 * location's NoSuchKey when neither exists.
 *
 * @example
 * ```ts
 * const { object, fromLegacy } = await readThrough(s3, 'datasets/cats/training-output/j1/output/model.tar.gz', { bucket });
 * object.Body; // a stream, from models/training/j1/output/model.tar.gz once it has been migrated
 * ```
 */
export async function readThrough(s3: S3Client, key: string, options: ReadThroughOptions): Promise<ReadThroughResult> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const resolved = resolveLegacyKey(key, options.rules ?? DEFAULT_LEGACY_RULES, { prefix: options.prefix });
  const candidates = resolved === null || resolved === key ? [key] : [resolved, key];
  let first: unknown;
  for (const candidate of candidates) {
    try {
      const object = await s3.send(
        new GetObjectCommand({ Bucket: options.bucket, Key: candidate, Range: options.range }),
        { abortSignal: options.signal },
      );
      return { key: candidate, fromLegacy: candidate !== candidates[0], object };
    } catch (error) {
      if (!isNotFound(error)) throw error;
      first ??= error;
    }
  }
  throw first;
}
