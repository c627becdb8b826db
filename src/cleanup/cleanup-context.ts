import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CleanupFailedError, ConfigurationError, type CleanupFailure } from '../errors/index.js';
import { silentLogger, type StorageLogger } from '../observe/logger.js';
import type { MetricsEmitter } from '../observe/metrics.js';
import { toInsufficientStorageError } from '../storage/disk-space.js';
import { removeTree } from '../storage/remove-tree.js';
import type { StorageManager } from '../storage/storage-manager.js';
import { SuppressedError } from './suppressed-error.js';

/** A registered cleanup function. It may be async; a throw is reported, never swallowed. */
export type CleanupFunction = () => unknown;

/** Options of {@link CleanupContext}. */
export interface CleanupContextOptions {
  /** Temp dirs go on this manager's disk (its `path`), and its logger and metrics are used. */
  storage?: StorageManager;
  /** Directory for temp dirs. Default: the storage manager's path, else `os.tmpdir()`. */
  root?: string;
  /** Where cleanup failures are logged. Default: the storage manager's logger, else silent. */
  logger?: StorageLogger;
  /** Emits a cleanup metric each time cleanups run. Default: the storage manager's, if any. */
  metrics?: MetricsEmitter;
  /** When aborted, the cleanups run at once; the operation using this signal should stop too. */
  signal?: AbortSignal;
}

/** What one run of the cleanups did. */
export interface CleanupReport {
  /** Files removed from registered paths. */
  filesRemoved: number;
  /** Apparent bytes of those files. */
  bytesFreed: number;
  /** Cleanups run (paths and functions). */
  cleanupsRun: number;
}

type Registered = { kind: 'path'; path: string } | { kind: 'function'; fn: CleanupFunction; label: string };

/**
 * Removes everything registered with it, in reverse order of registration, when the block it
 * guards ends: on success, on a throw and on abort. Use it with `await using` (TypeScript
 * lowers it for Node 20). A cleanup that fails never hides the error that ended the block:
 * `await using` throws a `SuppressedError` whose `error` is the {@link CleanupFailedError}
 * (every path that was not removed) and whose `suppressed` is the original error.
 *
 * @example
 * ```ts
 * await using ctx = new CleanupContext({ storage });
 * const work = await ctx.tempDir('extract-');
 * ctx.registerCleanup(() => upload.abort());
 * await extract(archive, work); // work is removed when the block ends, however it ends
 * ```
 */
export class CleanupContext implements AsyncDisposable {
  readonly #entries: Registered[] = [];
  readonly #root: string;
  readonly #logger: StorageLogger;
  readonly #metrics: MetricsEmitter | undefined;
  readonly #signal: AbortSignal | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #disposal: Promise<void> | undefined;
  readonly #onAbort = () => {
    // Nobody awaits this run; its failures are logged here and thrown again by dispose.
    this.#dispose().catch(() => undefined);
  };

  constructor(options: CleanupContextOptions = {}) {
    this.#root = options.root ?? options.storage?.path ?? tmpdir();
    this.#logger = options.logger ?? options.storage?.logger ?? silentLogger;
    this.#metrics = options.metrics ?? options.storage?.metrics;
    this.#signal = options.signal;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** True once disposed (by `await using`, `[Symbol.asyncDispose]()` or the signal). */
  get disposed(): boolean {
    return this.#disposal !== undefined;
  }

  /** Number of cleanups waiting to run. */
  get pending(): number {
    return this.#entries.length;
  }

  /**
   * Registers a path (file or directory, removed recursively; a missing one is fine) or a
   * function to run at cleanup. `label` names a function in errors and logs.
   */
  registerCleanup(target: string | CleanupFunction, label?: string): void {
    this.#assertOpen();
    if (typeof target === 'string') {
      if (target === '') throw new ConfigurationError('registerCleanup', 'needs a non-empty path', target);
      // Resolved now: a relative path must mean the same thing when the cleanup runs.
      this.#entries.push({ kind: 'path', path: resolve(target) });
    } else {
      const name = label ?? (target.name || `cleanup function #${this.#entries.length + 1}`);
      this.#entries.push({ kind: 'function', fn: target, label: name });
    }
  }

  /**
   * Creates a fresh directory `<root>/<prefix>XXXXXX` and registers it for removal.
   * A full disk raises {@link InsufficientStorageError}, never a raw `ENOSPC`.
   */
  async tempDir(prefix = 'ssa-'): Promise<string> {
    this.#assertOpen();
    if (prefix.includes('/') || prefix.includes('\\') || prefix.includes('\0')) {
      throw new ConfigurationError('prefix', 'must be a plain name with no path separator', prefix);
    }
    let dir: string;
    try {
      dir = await mkdtemp(join(this.#root, prefix));
    } catch (error) {
      throw await toInsufficientStorageError(error, { path: this.#root, operation: 'creating a temp directory' });
    }
    // Disposed while mkdtemp ran (an abort): remove it now rather than leak it.
    if (this.disposed) {
      await removeTree(dir);
      this.#assertOpen();
    }
    this.#entries.push({ kind: 'path', path: dir });
    return dir;
  }

  /**
   * Runs every registered cleanup now, newest first, and forgets them; the context stays
   * usable. Runs all of them even when some fail, then throws {@link CleanupFailedError}
   * listing each failure (also logged, one line per path).
   */
  forceCleanup(): Promise<CleanupReport> {
    const run = this.#running.then(() => this.#runAll());
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** Runs the cleanups once; later calls wait for the same run and see the same outcome. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#dispose();
  }

  #dispose(): Promise<void> {
    this.#disposal ??= (async () => {
      this.#signal?.removeEventListener('abort', this.#onAbort);
      await this.forceCleanup();
    })();
    return this.#disposal;
  }

  #assertOpen(): void {
    if (this.#signal?.aborted) throw this.#signal.reason;
    if (this.disposed) throw new ReferenceError('this CleanupContext is already disposed; create a new one');
  }

  async #runAll(): Promise<CleanupReport> {
    const entries = this.#entries.splice(0).reverse();
    const report: CleanupReport = { filesRemoved: 0, bytesFreed: 0, cleanupsRun: 0 };
    const failures: CleanupFailure[] = [];
    for (const entry of entries) {
      report.cleanupsRun++;
      if (entry.kind === 'path') {
        const removed = await removeTree(entry.path);
        report.filesRemoved += removed.filesRemoved;
        report.bytesFreed += removed.bytesFreed;
        failures.push(...removed.failures);
      } else {
        try {
          await entry.fn();
        } catch (cause) {
          failures.push({ path: entry.label, cause });
        }
      }
    }
    if (entries.length > 0) {
      this.#metrics?.cleanup({ bytesFreed: report.bytesFreed, filesRemoved: report.filesRemoved, failures: failures.length });
    }
    if (failures.length === 0) return report;
    for (const failure of failures) {
      this.#logger.error('cleanup failed', { path: failure.path, error: failure.cause });
    }
    throw new CleanupFailedError(failures, { details: { ...report } });
  }
}

/**
 * Runs `fn` with a fresh {@link CleanupContext} and runs its cleanups when `fn` settles,
 * with the same error semantics as `await using` (a cleanup failure after a throw becomes a
 * `SuppressedError` keeping both).
 *
 * @example
 * ```ts
 * const manifest = await withCleanup(async (ctx) => {
 *   const dir = await ctx.tempDir('manifest-');
 *   return buildManifest(dir);
 * });
 * ```
 */
export async function withCleanup<T>(
  fn: (ctx: CleanupContext) => T | Promise<T>,
  options: CleanupContextOptions = {},
): Promise<T> {
  const ctx = new CleanupContext(options);
  let result: T;
  try {
    result = await fn(ctx);
  } catch (error) {
    try {
      await ctx[Symbol.asyncDispose]();
    } catch (cleanupError) {
      throw new SuppressedError(cleanupError, error, 'cleanup failed after the operation failed');
    }
    throw error;
  }
  await ctx[Symbol.asyncDispose]();
  return result;
}
