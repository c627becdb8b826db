// When storage requirements exceed what the disk holds,
// pick another way of working, and say why. Pure arithmetic over sizes, so it is tested
// without a disk and can be logged before anything is written.
import { formatBytes } from '../units.js';
import { silentLogger, type StorageLogger } from '../observe/logger.js';

/** How to turn an archive into a zip. */
export type PackagingStrategy = 'extract-then-zip' | 'stream' | 'sequential-stream';

/** What {@link planPackaging} weighs. */
export interface PackagingPlanInput {
  /** The archive's size estimate (a `SpaceEstimate` fits). */
  estimate: {
    /** Uncompressed bytes of the entries. */
    bytes: number;
    /** The archive's own size, when it sits on the working disk (downloaded there). */
    archiveBytes?: number;
  };
  /** Free bytes on the working disk (less other reservations). */
  freeBytes: number;
  /** Targets to package at the same time (one zip each). Default 1. */
  targets?: number;
  /** The caller needs the extracted files on disk (to inspect or patch them), not just the zip. */
  needFilesOnDisk?: boolean;
  /** Whether the zip is written to the working disk (true) or streamed elsewhere, e.g. S3 (false, the default). */
  outputOnDisk?: boolean;
  /** Expected zip size as a fraction of the uncompressed bytes. Default 1 (weights barely compress). */
  zipRatio?: number;
  /** Where the decision is logged. Default silent. */
  logger?: StorageLogger;
}

/** The decision, with the numbers behind it. */
export interface PackagingPlan {
  /** What to do. */
  strategy: PackagingStrategy;
  /** Why, in one sentence with the numbers. */
  reason: string;
  /** Peak bytes on the working disk with this strategy, for all targets it runs at once. */
  peakDiskBytes: number;
  /** Targets run at the same time. */
  concurrency: number;
  /** False when even this strategy does not fit: the caller should stream the output elsewhere or raise the disk. */
  fits: boolean;
}

/**
 * Chooses how to package: `extract-then-zip` when the caller needs files on disk and the disk
 * holds archive + files + zip for every target; `stream` (no scratch disk) otherwise;
 * `sequential-stream` when streamed zips are written to the disk and do not all fit at once.
 *
 * @example
 * ```ts
 * const plan = planPackaging({ estimate: { bytes: 1.6 * GiB, archiveBytes: 1.2 * GiB }, freeBytes: 512 * MiB, targets: 3 });
 * plan.strategy; // "stream"
 * ```
 */
export function planPackaging(input: PackagingPlanInput): PackagingPlan {
  const targets = Math.max(1, Math.floor(input.targets ?? 1));
  const zipBytes = Math.ceil(input.estimate.bytes * (input.zipRatio ?? 1));
  const archiveBytes = input.estimate.archiveBytes ?? 0;
  const free = input.freeBytes;
  const extractPeak = archiveBytes + input.estimate.bytes + zipBytes;
  const streamPeak = input.outputOnDisk ? zipBytes : 0;
  const b = formatBytes;
  let plan: PackagingPlan;

  if (input.needFilesOnDisk && extractPeak * targets <= free) {
    plan = {
      strategy: 'extract-then-zip',
      reason: `files are needed on disk and ${targets} x ${b(extractPeak)} (archive + files + zip) fits in ${b(free)} free`,
      peakDiskBytes: extractPeak * targets,
      concurrency: targets,
      fits: true,
    };
  } else if (streamPeak * targets <= free) {
    const why = input.needFilesOnDisk ? `extracting needs ${targets} x ${b(extractPeak)} but ${b(free)} is free, so ` : '';
    plan = {
      strategy: 'stream',
      reason: `${why}entries stream from the archive into the zip${input.outputOnDisk ? `, peak ${b(streamPeak * targets)} (the zips)` : ' with no scratch disk'}`,
      peakDiskBytes: streamPeak * targets,
      concurrency: targets,
      fits: true,
    };
  } else {
    const fits = streamPeak <= free;
    plan = {
      strategy: 'sequential-stream',
      reason: `${targets} zips of ${b(streamPeak)} do not fit in ${b(free)} at once; streaming one target at a time${fits ? '' : `, and even one does not fit: stream the zip to S3 instead of the disk`}`,
      peakDiskBytes: streamPeak,
      concurrency: 1,
      fits,
    };
  }
  (input.logger ?? silentLogger).info('packaging strategy chosen', { ...plan, freeBytes: free, targets, uncompressedBytes: input.estimate.bytes });
  return plan;
}
