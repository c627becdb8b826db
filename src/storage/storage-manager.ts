import { tmpdir } from 'node:os';
import { parse, resolve } from 'node:path';
import { CleanupFailedError, ConfigurationError, InsufficientStorageError } from '../errors/index.js';
import { silentLogger, type StorageLogger } from '../observe/logger.js';
import type { MetricsEmitter } from '../observe/metrics.js';
import { readDiskSpace } from './disk-space.js';
import { ledgerFor, type DiskLedger } from './ledger.js';
import { Monitor, type MonitorOptions } from './monitor.js';
import { removeTree } from './remove-tree.js';
import { Reservation } from './reservation.js';
import { toStorageMetrics, type StorageMetrics } from './storage-metrics.js';
import { parseByteCount, resolveThresholds, type Thresholds } from './thresholds.js';

/** Options of {@link StorageManager}. */
export interface StorageManagerOptions {
  /** The directory whose disk is managed. Default `os.tmpdir()` (`/tmp` on Lambda). */
  path?: string;
  /** Used fraction at which monitors warn. Default `STORAGE_WARNING_RATIO`, else 0.8. */
  warningRatio?: number;
  /** Used fraction at which monitors report critical. Default `STORAGE_CRITICAL_RATIO`, else 0.95. */
  criticalRatio?: number;
  /** Safety margin in bytes that `ensureSpace` and `reserve` always leave free. Default 0. */
  reserveBytes?: number;
  /** Where warnings, refusals and cleanup failures are logged. Default: silent. */
  logger?: StorageLogger;
  /** Emits EMF metrics for monitor samples and cleanups, if given. */
  metrics?: MetricsEmitter;
}

/** Options of {@link StorageManager.reserve}. */
export interface ReserveOptions {
  /** Wait in line when space is short (default), or fail at once. */
  wait?: boolean;
  /** Longest wait in ms before {@link InsufficientStorageError}. Default 60000; `Infinity` waits for ever. */
  timeoutMs?: number;
  /** Cancels the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** What needs the space, quoted in errors ("extracting model.tar.gz"). */
  operation?: string;
}

/** Options of {@link StorageManager.ensureSpace}. */
export interface EnsureSpaceOptions {
  /** What needs the space, quoted in the error ("extracting model.tar.gz"). */
  operation?: string;
  /**
   * A reservation the caller holds for this operation: its bytes count as available to this
   * check instead of as held by someone else (so reserving first, then calling a function that
   * checks, does not count the same bytes twice).
   */
  reservation?: Reservation;
}

/** What {@link StorageManager.cleanupDirectory} removed. */
export interface CleanupResult {
  /** Files (and links) removed. */
  filesRemoved: number;
  /** Sum of their apparent sizes. */
  bytesFreed: number;
}

/** A function run when a monitor reaches the critical level. */
export type EmergencyCleanup = () => unknown;

/**
 * Treats a disk as a budget: reads it with `fs.statfs`, checks and reserves space before an
 * operation writes, cleans directories, and monitors usage against warning and critical
 * thresholds. Reservations live in one in-process ledger per disk, shared by every
 * StorageManager, so concurrent operations never together claim more than is free.
 *
 * @example
 * ```ts
 * const storage = new StorageManager({ path: '/tmp', reserveBytes: 64 * MiB });
 * await storage.ensureSpace(2 * GiB, { operation: 'extracting model.tar.gz' });
 * using reservation = await storage.reserve(2 * GiB, { timeoutMs: 30_000 });
 * ```
 */
export class StorageManager {
  /** The managed directory (absolute). */
  readonly path: string;
  /** The validated warning and critical ratios. */
  readonly thresholds: Readonly<Thresholds>;
  /** The safety margin in bytes. */
  readonly reserveBytes: number;
  /** The logger in use. */
  readonly logger: StorageLogger;
  /** The metrics emitter in use, if any. */
  readonly metrics: MetricsEmitter | undefined;
  readonly #emergencyCleanups = new Set<EmergencyCleanup>();
  readonly #monitors = new Set<Monitor>();

  constructor(options: StorageManagerOptions = {}) {
    if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
      throw new ConfigurationError('path', 'must be a non-empty directory path', options.path);
    }
    this.path = resolve(options.path ?? tmpdir());
    const thresholds: Partial<Thresholds> = {};
    if (options.warningRatio !== undefined) thresholds.warningRatio = options.warningRatio;
    if (options.criticalRatio !== undefined) thresholds.criticalRatio = options.criticalRatio;
    this.thresholds = Object.freeze(resolveThresholds(thresholds));
    this.reserveBytes = parseByteCount('reserveBytes', options.reserveBytes ?? 0);
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics;
  }

  /** Bytes an unprivileged process may write on the disk now (statfs `bavail`), ignoring reservations. */
  async getAvailableSpace(): Promise<number> {
    return (await readDiskSpace(this.path)).availableBytes;
  }

  /** Bytes that `ensureSpace` and `reserve` would grant now: free, less outstanding reservations, less the margin. */
  async getReservableSpace(): Promise<number> {
    const [disk, ledger] = await Promise.all([readDiskSpace(this.path), this.#ledger()]);
    return ledger.claimable(disk, this.reserveBytes);
  }

  /** Bytes held by unreleased reservations on this disk, by every manager in the process. */
  async getReservedBytes(): Promise<number> {
    return (await this.#ledger()).reservedBytes;
  }

  /** Reads the disk: sizes, thresholds in bytes and a non-decreasing timestamp. */
  async getMetrics(): Promise<StorageMetrics> {
    return toStorageMetrics(await readDiskSpace(this.path), this.thresholds);
  }

  /**
   * Throws {@link InsufficientStorageError} unless `requiredBytes` fit in what is free, less
   * outstanding reservations, less the margin. The error carries those true figures.
   * Running monitors report a warning and a critical before the error is thrown.
   */
  async ensureSpace(requiredBytes: number, options: EnsureSpaceOptions = {}): Promise<void> {
    parseByteCount('requiredBytes', requiredBytes);
    const [disk, ledger] = await Promise.all([readDiskSpace(this.path), this.#ledger()]);
    // The caller's own reservation is space it may use, not space someone else holds.
    const own = options.reservation && !options.reservation.released ? options.reservation.bytes : 0;
    const availableBytes = ledger.claimable(disk, this.reserveBytes) + own;
    if (requiredBytes <= availableBytes) return;
    const error = new InsufficientStorageError({
      requiredBytes,
      availableBytes,
      path: this.path,
      totalBytes: disk.totalBytes,
      ...(options.operation === undefined ? {} : { operation: options.operation }),
      details: {
        diskAvailableBytes: disk.availableBytes,
        reservedBytes: ledger.reservedBytes,
        ownReservationBytes: own,
        marginBytes: this.reserveBytes,
      },
    });
    await this.#reportShortage(error);
    throw error;
  }

  /**
   * Claims `bytes` in the disk's ledger. When they do not fit, waits in first-in, first-out
   * order (no overtaking) until they do or `timeoutMs` passes, then throws
   * {@link InsufficientStorageError}. A request larger than the disk could ever hold fails at once.
   */
  async reserve(bytes: number, options: ReserveOptions = {}): Promise<Reservation> {
    parseByteCount('bytes', bytes);
    const timeoutMs = options.timeoutMs ?? 60_000;
    if (!(timeoutMs >= 0)) throw new ConfigurationError('timeoutMs', 'must be 0 or more (or Infinity)', timeoutMs);
    const ledger = await this.#ledger();
    try {
      await ledger.acquire({
        bytes,
        marginBytes: this.reserveBytes,
        path: this.path,
        wait: options.wait ?? true,
        timeoutMs,
        signal: options.signal,
        operation: options.operation,
      });
    } catch (error) {
      if (error instanceof InsufficientStorageError) await this.#reportShortage(error);
      throw error;
    }
    this.logger.debug('disk space reserved', { path: this.path, bytes, reservedBytes: ledger.reservedBytes });
    return new Reservation(ledger, bytes, this.path);
  }

  /**
   * Removes everything inside `dir` and keeps `dir`. A missing directory is not an error.
   * Keeps going past failures, then throws {@link CleanupFailedError} listing every path
   * that could not be removed. Wakes reservations waiting for space.
   */
  async cleanupDirectory(dir: string): Promise<CleanupResult> {
    if (typeof dir !== 'string' || dir === '' || parse(resolve(dir)).root === resolve(dir)) {
      // Emptying a file-system root is never what a packaging job means to do.
      throw new ConfigurationError('cleanupDirectory', 'needs a directory below the file-system root', dir);
    }
    const { filesRemoved, bytesFreed, failures } = await removeTree(resolve(dir), true);
    this.metrics?.cleanup({ bytesFreed, filesRemoved, failures: failures.length });
    (await this.#ledger().catch(() => undefined))?.wake();
    if (failures.length > 0) {
      const error = new CleanupFailedError(failures, { details: { filesRemoved, bytesFreed } });
      this.logger.error('cleanup failed', { dir, error });
      throw error;
    }
    this.logger.info('directory cleaned', { dir, filesRemoved, bytesFreed });
    return { filesRemoved, bytesFreed };
  }

  /**
   * Registers a function that monitors run when usage reaches the critical level (delete
   * caches, old outputs). Returns a function that unregisters it.
   */
  registerEmergencyCleanup(cleanup: EmergencyCleanup): () => void {
    this.#emergencyCleanups.add(cleanup);
    return () => this.#emergencyCleanups.delete(cleanup);
  }

  /** Starts sampling the disk every `intervalMs`; see {@link MonitorOptions}. */
  monitorUsage(options: MonitorOptions = {}): Monitor {
    const intervalMs = options.intervalMs ?? 5000;
    if (!(intervalMs > 0 && Number.isFinite(intervalMs))) {
      throw new ConfigurationError('intervalMs', 'must be a positive number of milliseconds', intervalMs);
    }
    const monitor = new Monitor(
      {
        sample: () => this.getMetrics(),
        runEmergencyCleanups: () => this.#runEmergencyCleanups(),
        thresholds: this.thresholds,
        logger: this.logger,
        metrics: this.metrics,
        detach: (m) => this.#monitors.delete(m),
      },
      { ...options, intervalMs },
    );
    if (!monitor.stopped) this.#monitors.add(monitor);
    return monitor;
  }

  #ledger(): Promise<DiskLedger> {
    return ledgerFor(this.path);
  }

  async #runEmergencyCleanups(): Promise<void> {
    for (const cleanup of [...this.#emergencyCleanups]) {
      try {
        await cleanup();
      } catch (error) {
        this.logger.error('emergency cleanup failed', { cleanup: cleanup.name || 'anonymous', error });
      }
    }
    (await this.#ledger().catch(() => undefined))?.wake();
  }

  async #reportShortage(error: InsufficientStorageError): Promise<void> {
    this.logger.warn('not enough disk space', { error });
    if (this.#monitors.size === 0) return;
    const metrics = await this.getMetrics().catch(() => undefined);
    if (!metrics) return;
    await Promise.all([...this.#monitors].map((m) => m.reportShortage(metrics)));
  }
}
