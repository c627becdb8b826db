import type { DiskSpace } from './disk-space.js';
import type { Thresholds } from './thresholds.js';

/**
 * One reading of a disk. Always consistent:
 * `usedSpace + availableSpace <= totalSpace`, and timestamps never go backwards within a
 * process, even when the wall clock is stepped.
 *
 * @example
 * ```ts
 * const m = await storage.getMetrics();
 * if (m.usedSpace >= m.thresholdWarning) logger.warn('disk filling', { ...m });
 * ```
 */
export interface StorageMetrics {
  /** Size of the file system, in bytes. */
  totalSpace: number;
  /** Bytes an unprivileged process may still write. */
  availableSpace: number;
  /** Bytes in use. */
  usedSpace: number;
  /** Bytes in use at which the warning level starts (`warningRatio` of used + available). */
  thresholdWarning: number;
  /** Bytes in use at which the critical level starts (`criticalRatio` of used + available). */
  thresholdCritical: number;
  /** Used / (used + available), as `df` computes "Use%": 0 to 1. */
  usedRatio: number;
  /** When the disk was read; non-decreasing across readings in one process. */
  timestamp: Date;
}

// performance.now() is monotonic; anchored to timeOrigin it reads as wall time. The clamp
// guards against two readings within the clock's resolution coming out reversed.
let lastTimestampMs = 0;

/**
 * A wall-clock time in ms that never goes backwards within this process.
 *
 * @example
 * ```ts
 * const t = monotonicNow(); // >= every earlier monotonicNow()
 * ```
 */
export function monotonicNow(): number {
  lastTimestampMs = Math.max(lastTimestampMs, performance.timeOrigin + performance.now());
  return lastTimestampMs;
}

/**
 * Builds {@link StorageMetrics} from a disk reading and thresholds.
 *
 * @example
 * ```ts
 * toStorageMetrics(await readDiskSpace('/tmp'), { warningRatio: 0.8, criticalRatio: 0.95 });
 * ```
 */
export function toStorageMetrics(disk: DiskSpace, thresholds: Thresholds): StorageMetrics {
  // statfs reads blocks and free counts at one instant, but be defensive: a negative or
  // oversize figure must never reach a dashboard.
  const totalSpace = Math.max(0, disk.totalBytes);
  const availableSpace = Math.min(Math.max(0, disk.availableBytes), totalSpace);
  const usedSpace = Math.min(Math.max(0, disk.usedBytes), totalSpace - availableSpace);
  const usable = usedSpace + availableSpace;
  return {
    totalSpace,
    availableSpace,
    usedSpace,
    thresholdWarning: Math.ceil(usable * thresholds.warningRatio),
    thresholdCritical: Math.ceil(usable * thresholds.criticalRatio),
    usedRatio: usable > 0 ? usedSpace / usable : 0,
    timestamp: new Date(monotonicNow()),
  };
}
