/**
 * Where a long operation stands, reported through `onProgress`. Fields that cannot be known yet are `undefined`, never guessed as 0.
 *
 * @example
 * ```ts
 * await repackage({ source, output, onProgress: (p) => console.log(p.phase, p.bytesProcessed) });
 * ```
 */
export interface ProcessingState {
  /** What is happening now: `'inspecting'`, `'extracting'`, `'compressing'`, `'repackaging'`, `'cleanup'`, `'done'`. */
  currentPhase: string;
  /** Entries finished so far. */
  filesProcessed: number;
  /** Entries in all, when the format says so in advance (a zip's central directory). */
  totalFiles: number | undefined;
  /** Uncompressed bytes processed so far. */
  bytesProcessed: number;
  /** Uncompressed bytes in all, when known or estimated. */
  totalBytes: number | undefined;
  /** Bytes this operation currently holds on disk (0 for pure streaming). */
  diskUsage: number;
  /** Whether any cleanup has run during the operation. */
  cleanupPerformed: boolean;
  /** Estimated milliseconds left, when a total is known. */
  estimatedRemaining: number | undefined;
  /** The entry being processed, if any. */
  currentEntry?: string;
}

/** A callback that receives {@link ProcessingState} updates. Must not throw; it is called synchronously. */
export type ProgressListener = (state: ProcessingState) => void;

/** Options every long-running operation accepts. */
export interface OperationOptions {
  /** Cancels the operation; everything it created is removed. */
  signal?: AbortSignal;
  /** Receives progress as the operation goes. */
  onProgress?: ProgressListener;
}

/**
 * Estimates milliseconds left from the rate so far. Returns `undefined` until there is a
 * total and some progress to extrapolate from.
 *
 * @example
 * ```ts
 * estimateRemainingMs(25, 100, 1_000); // 3000
 * ```
 */
export function estimateRemainingMs(done: number, total: number | undefined, elapsedMs: number): number | undefined {
  if (total === undefined || done <= 0 || elapsedMs <= 0) return undefined;
  if (done >= total) return 0;
  return Math.round(((total - done) * elapsedMs) / done);
}
