// Retries with backoff for throttling and server errors, on the library's withRetry, with the
// decision narrowed to what S3 and DynamoDB answer when they want a caller to slow down.
import { withRetry } from '../../retry/index.js';

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
  return withRetry(fn, {
    retries: policy.retries,
    minTimeoutMs: policy.minDelayMs,
    factor: 2,
    randomize: true,
    signal: policy.signal,
    shouldRetry: ({ error }) => isRetryableAwsError(error),
  });
}
