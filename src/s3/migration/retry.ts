// Retries with backoff for throttling and server errors. withRetry in src/retry/ was not
// written yet when this landed, so this is p-retry directly behind one small function; it can
// become a call to withRetry without changing its callers.
import pRetry, { AbortError } from 'p-retry';

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeTooSkewed',
]);

/**
 * Whether an AWS SDK error is worth another attempt: throttling, 5xx, or a dropped connection.
 *
 * @example
 * ```ts
 * isRetryableAwsError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }); // true
 * ```
 */
export function isRetryableAwsError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e === undefined || e === null) return false;
  if (e.name === 'AbortError') return false;
  if (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ETIMEDOUT';
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
  return pRetry(
    async () => {
      try {
        return await fn();
      } catch (error) {
        // p-retry retries every error unless told otherwise; only the retryable ones go round.
        if (!isRetryableAwsError(error)) throw new AbortError(error as Error);
        throw error;
      }
    },
    { retries: policy.retries, minTimeout: policy.minDelayMs, factor: 2, randomize: true, signal: policy.signal },
  ).catch((error: unknown) => {
    // p-retry wraps the original in AbortError's `originalError`; hand back the original.
    const original = (error as { originalError?: unknown }).originalError;
    throw original ?? error;
  });
}
