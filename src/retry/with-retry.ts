import { InsufficientStorageError } from '../errors/index.js';
import { silentLogger, type StorageLogger } from '../observe/logger.js';
import { SuppressedError } from '../cleanup/suppressed-error.js';
import { readDiskSpace } from '../storage/disk-space.js';
import { classifyFailure, type FailureKind } from './classify.js';

/**
 * Runs between two attempts, after a failure that will be retried. May return how many bytes
 * it freed (a number, or an object with `bytesFreed` such as `cleanupDirectory()` returns);
 * otherwise the free space of the failing disk is measured before and after it.
 */
export type RetryCleanup = (attempt: number, error: unknown) => unknown;

/** What {@link RetryOptions.shouldRetry} and {@link RetryOptions.onRetry} are told. */
export interface RetryContext {
  /** The attempt that just failed, from 1. */
  attempt: number;
  /** Its error. */
  error: unknown;
  /** How {@link classifyFailure} classified the error. */
  kind: FailureKind;
  /** Retries left after this one. */
  retriesLeft: number;
  /** Bytes the cleanup freed, when known (only for `onRetry`, after the cleanup ran). */
  bytesFreed?: number | undefined;
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Retries after the first attempt; at most `retries + 1` attempts run. Default 3. */
  retries?: number;
  /** Delay before the first retry, in ms. Default 250. */
  minTimeoutMs?: number;
  /** Longest delay between attempts, in ms. Default 10000. */
  maxTimeoutMs?: number;
  /** Growth of the delay per retry. Default 2. */
  factor?: number;
  /** Multiply each delay by a random factor between 1 and 2, so many clients do not retry in step. Default true. */
  randomize?: boolean;
  /** Runs between attempts (never after the last one): free what the failed attempt left behind. */
  cleanup?: RetryCleanup;
  /**
   * Replaces the default decision, before the cleanup runs. The default retries `throttled`,
   * `connection` and `server` failures, and `disk-full` ones only when the cleanup then freed space.
   */
  shouldRetry?: (context: RetryContext) => boolean | Promise<boolean>;
  /** Stops retrying: the pending delay ends and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called when a retry is decided, after the cleanup and before the delay. */
  onRetry?: (context: RetryContext) => void;
  /** Where retries and the final failure are logged. Default: silent. */
  logger?: StorageLogger;
}

/**
 * Reads the number of attempts {@link withRetry} made before it gave up, from the error it threw.
 *
 * @example
 * ```ts
 * catch (e) { logger.error('gave up', { attempts: retryAttempts(e) }); }
 * ```
 */
export function retryAttempts(error: unknown): number | undefined {
  const value = (error as { attempts?: unknown } | null | undefined)?.attempts;
  return typeof value === 'number' ? value : undefined;
}

function bytesReported(result: unknown): number | undefined {
  if (typeof result === 'number' && Number.isFinite(result)) return result;
  const freed = (result as { bytesFreed?: unknown } | null | undefined)?.bytesFreed;
  return typeof freed === 'number' && Number.isFinite(freed) ? freed : undefined;
}

function diskPathOf(error: unknown): string | undefined {
  if (error instanceof InsufficientStorageError) return error.path;
  const path = (error as { path?: unknown } | null | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
}

async function freeBytesAt(path: string | undefined): Promise<number | undefined> {
  if (path === undefined) return undefined;
  return readDiskSpace(path).then((d) => d.availableBytes, () => undefined);
}

/**
 * Runs `fn` until it succeeds, retrying (on p-retry, with exponential backoff) only failures
 * that can recover: throttling, dropped connections, transient server errors, and a full disk
 * once the `cleanup` between attempts has freed space. Never retries hostile or corrupt
 * archives or bad configuration. When it gives up it throws the last error itself (so
 * `instanceof` checks keep working), with an `attempts` property: read it with
 * {@link retryAttempts}. If a cleanup throws, retrying stops with a `SuppressedError` whose
 * `error` is the cleanup's failure and `suppressed` the attempt's error.
 *
 * @example
 * ```ts
 * const result = await withRetry(
 *   () => repackage({ source, output: workZip }),
 *   { retries: 2, cleanup: () => storage.cleanupDirectory(workDir), signal },
 * );
 * ```
 */
export async function withRetry<T>(fn: (attempt: number) => T | Promise<T>, options: RetryOptions = {}): Promise<T> {
  const logger = options.logger ?? silentLogger;
  const signal = options.signal;
  let attempts = 0;

  const decide = async ({ error, attemptNumber, retriesLeft }: { error: Error; attemptNumber: number; retriesLeft: number }) => {
    signal?.throwIfAborted();
    const kind = classifyFailure(error);
    const context: RetryContext = { attempt: attemptNumber, error, kind, retriesLeft: retriesLeft - 1 };
    const userSaysRetry = options.shouldRetry ? await options.shouldRetry(context) : undefined;
    if (userSaysRetry === false || (userSaysRetry === undefined && kind === 'permanent')) return false;
    // Disk-full is only worth retrying when something can free space between attempts.
    if (userSaysRetry === undefined && kind === 'disk-full' && !options.cleanup) return false;

    let bytesFreed: number | undefined;
    if (options.cleanup) {
      const path = kind === 'disk-full' ? diskPathOf(error) : undefined;
      const before = await freeBytesAt(path);
      try {
        bytesFreed = bytesReported(await options.cleanup(attemptNumber, error));
      } catch (cleanupError) {
        logger.error('cleanup between attempts failed; not retrying', { attempt: attemptNumber, error: cleanupError });
        throw new SuppressedError(cleanupError, error, 'the cleanup between attempts failed after the attempt failed');
      }
      if (bytesFreed === undefined && before !== undefined) {
        const after = await freeBytesAt(path);
        if (after !== undefined) bytesFreed = Math.max(0, after - before);
      }
    }
    if (userSaysRetry === undefined && kind === 'disk-full' && !(bytesFreed !== undefined && bytesFreed > 0)) {
      logger.warn('disk full and the cleanup freed nothing; not retrying', { attempt: attemptNumber, error });
      return false;
    }
    signal?.throwIfAborted();
    const retry: RetryContext = { ...context, bytesFreed };
    logger.warn('attempt failed; retrying', { attempt: attemptNumber, kind, bytesFreed, error });
    options.onRetry?.(retry);
    return true;
  };

  // Loaded lazily: p-retry is ESM-only, and `import()` works from our CommonJS build on every
  // Node 20, where a static import compiled to `require()` does not.
  const { default: pRetry } = await import('p-retry');
  try {
    return await pRetry(
      (attempt) => {
        attempts = attempt;
        return fn(attempt);
      },
      {
        retries: options.retries ?? 3,
        minTimeout: options.minTimeoutMs ?? 250,
        maxTimeout: options.maxTimeoutMs ?? 10_000,
        factor: options.factor ?? 2,
        randomize: options.randomize ?? true,
        signal,
        shouldRetry: decide,
      },
    );
  } catch (error) {
    if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
      Object.defineProperty(error, 'attempts', { value: attempts, enumerable: true, configurable: true, writable: true });
    }
    logger.warn('giving up', { attempts, error });
    throw error;
  }
}
