// Retries with backoff for throttling, dropped connections and server errors, on the library's
// withRetry and its classifyFailure (the one list of AWS codes, in src/retry/classify.ts).
import { classifyFailure, withRetry } from '../../retry/index.js';

/**
 * Whether an AWS SDK error is worth another attempt: throttling, 5xx, or a dropped connection.
 *
 * @example
 * ```ts
 * isRetryableAwsError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }); // true
 * ```
 */
export function isRetryableAwsError(error: unknown): boolean {
  // One list of throttling, connection and server codes for the whole library: withRetry's.
  const kind = classifyFailure(error);
  return kind === 'throttled' || kind === 'connection' || kind === 'server';
}

/** Retry settings. */
export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** First delay in milliseconds; doubles each attempt, with jitter. */
  minDelayMs: number;
  /** Stops retrying. */
  signal?: AbortSignal;
}

/**
 * Runs `fn`, retrying retryable AWS errors with exponential backoff; other errors pass through
 * at once with their cause intact.
 *
 * @example
 * ```ts
 * const head = await retryThrottled(() => s3.send(new HeadObjectCommand(input)), { retries: 5, minDelayMs: 200 });
 * ```
 */
export async function retryThrottled<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  return withRetry(fn, {
    retries: policy.retries,
    minTimeoutMs: policy.minDelayMs,
    factor: 2,
    randomize: true,
    signal: policy.signal,
    shouldRetry: ({ error }) => isRetryableAwsError(error),
  });
}
