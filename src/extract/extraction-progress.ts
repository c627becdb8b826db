import { estimateRemainingMs, type ProcessingState, type ProgressListener } from '../observe/progress.js';
import { MiB } from '../units.js';

const BYTES_BETWEEN_REPORTS = 4 * MiB;

/**
 * Builds the {@link ProcessingState} updates of one extraction and hands them to the caller's
 * listener: after every entry, and every 4 MiB within a large one. A listener that throws is
 * ignored (progress must never break the work).
 */
export class ExtractionProgress {
  private readonly started = Date.now();
  private lastReportedBytes = 0;
  /** Entries finished. */
  filesProcessed = 0;
  /** Uncompressed bytes processed. */
  bytesProcessed = 0;
  /** Bytes this call holds on disk now. */
  diskUsage = 0;
  /** Whether a cleanup ran (a callback removed a file, or a rollback). */
  cleanupPerformed = false;
  /** Entries in all, when known in advance. */
  totalFiles: number | undefined;
  /** Bytes in all, when known or estimated. */
  totalBytes: number | undefined;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly phase: string,
  ) {}

  /** Counts bytes, reporting when enough have passed since the last report. */
  addBytes(bytes: number, currentEntry: string): void {
    this.bytesProcessed += bytes;
    if (this.bytesProcessed - this.lastReportedBytes >= BYTES_BETWEEN_REPORTS) this.report(this.phase, currentEntry);
  }

  /** Reports now. */
  report(phase = this.phase, currentEntry?: string): void {
    if (this.listener === undefined) return;
    this.lastReportedBytes = this.bytesProcessed;
    const state: ProcessingState = {
      currentPhase: phase,
      filesProcessed: this.filesProcessed,
      totalFiles: this.totalFiles,
      bytesProcessed: this.bytesProcessed,
      totalBytes: this.totalBytes,
      diskUsage: this.diskUsage,
      cleanupPerformed: this.cleanupPerformed,
      estimatedRemaining: estimateRemainingMs(this.bytesProcessed, this.totalBytes, Date.now() - this.started),
      ...(currentEntry === undefined ? {} : { currentEntry }),
    };
    try {
      this.listener(state);
    } catch {
      // A listener's bug must not abort an extraction.
    }
  }
}
