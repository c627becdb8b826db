// Which failures can recover by trying again. Tables, not branches, so a reader can check
// (and a user can see) exactly what is retried.
import { isDiskFullError } from '../storage/disk-space.js';
import {
  CleanupFailedError,
  CompressionError,
  ConfigurationError,
  ExtractionError,
  InsufficientStorageError,
  InvalidS3KeyError,
  MigrationError,
} from '../errors/index.js';

/**
 * What kind of failure an error is, for retrying:
 * - `disk-full`: {@link InsufficientStorageError} or a raw `ENOSPC`/`EDQUOT`; retried only
 *   when the cleanup between attempts freed space.
 * - `throttled`: the service asked us to slow down (AWS throttling names, HTTP 429, S3 `SlowDown`).
 * - `connection`: the connection dropped or timed out (`ECONNRESET`, `ETIMEDOUT`, `EPIPE`, "socket hang up").
 * - `server`: a transient server error (HTTP 500, 502, 503, 504) or an AWS SDK error marked `$retryable`.
 * - `permanent`: everything else, including every error that retrying cannot change
 *   (hostile or corrupt archives, bad configuration, invalid names).
 */
export type FailureKind = 'disk-full' | 'throttled' | 'connection' | 'server' | 'permanent';

/** AWS SDK v3 and S3 error names that mean "slow down". */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'SlowDown',
  'EC2ThrottledException',
  'TransactionInProgressException',
  'PriorRequestNotComplete',
]);

/** Error codes and names that mean the connection dropped or timed out. */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

/** AWS error names for a transient fault on the service's side (their HTTP status is not always set). */
export const SERVER_ERROR_NAMES: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  // The SDK corrects its clock offset from the failed response, so the next attempt can pass.
  'RequestTimeTooSkewed',
]);

/** HTTP statuses meaning the server may answer differently in a moment. */
const THROTTLING_STATUSES: ReadonlySet<number> = new Set([429]);
const SERVER_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/** Our errors that retrying cannot fix. `CompressionError` is permanent only for `INVALID_*` reasons. */
const NEVER_RETRIED = [ExtractionError, ConfigurationError, InvalidS3KeyError, MigrationError, CleanupFailedError];

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  statusCode?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: boolean };
}

function kindOfOne(error: ErrorShape): FailureKind | undefined {
  if (error instanceof InsufficientStorageError || isDiskFullError(error)) return 'disk-full';
  const name = typeof error.name === 'string' ? error.name : '';
  const code = typeof error.code === 'string' ? error.code : '';
  const status = Number(error.$metadata?.httpStatusCode ?? error.statusCode);
  if (THROTTLING_ERROR_NAMES.has(name) || THROTTLING_ERROR_NAMES.has(code) || error.$retryable?.throttling === true) {
    return 'throttled';
  }
  if (THROTTLING_STATUSES.has(status)) return 'throttled';
  if (CONNECTION_ERROR_CODES.has(code) || CONNECTION_ERROR_CODES.has(name)) return 'connection';
  if (typeof error.message === 'string' && /socket hang up/i.test(error.message)) return 'connection';
  if (error.$retryable !== undefined || SERVER_STATUSES.has(status) || SERVER_ERROR_NAMES.has(name) || SERVER_ERROR_NAMES.has(code)) return 'server';
  return undefined;
}

/**
 * Classifies `error` for retrying. Our permanent errors are never retried, whatever caused
 * them; otherwise the error and then its `cause` chain are examined (an S3 stream reset
 * surfacing as a `CompressionError` with reason `SOURCE_FAILED` is a `connection` failure).
 *
 * @example
 * ```ts
 * classifyFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })); // 'connection'
 * classifyFailure(new ExtractionError('bad', { reason: 'PATH_TRAVERSAL' }));            // 'permanent'
 * ```
 */
export function classifyFailure(error: unknown): FailureKind {
  if (NEVER_RETRIED.some((type) => error instanceof type)) return 'permanent';
  if (error instanceof CompressionError && error.reason.startsWith('INVALID_')) return 'permanent';
  const seen = new Set<unknown>();
  for (let current = error; typeof current === 'object' && current !== null && !seen.has(current); ) {
    seen.add(current);
    const kind = kindOfOne(current as ErrorShape);
    if (kind) return kind;
    current = (current as ErrorShape).cause;
  }
  return 'permanent';
}
