// The options and results of the zip writer, apart from it so that what sizes a zip before
// writing (zip-space.ts) and the writer itself both depend on them, not on each other.
import type { StorageLogger } from '../observe/logger.js';
import type { OperationOptions } from '../observe/progress.js';
import type { AutoCompressionOptions, ZipCompression } from './compression-choice.js';
import type { MemoryGovernorOptions } from './memory-governor.js';

/** Options of {@link IncrementalZipper}. */
export interface IncrementalZipperOptions extends OperationOptions {
  /** `'auto'` (default) stores entries deflate cannot shrink by `auto.minSavings`; `'deflate'`; `'store'`. */
  compression?: ZipCompression;
  /** zlib level 1 to 9 for deflated entries. Default 6 (what zip and Python's zipfile use). */
  level?: number;
  /** Tuning of `'auto'`. */
  auto?: AutoCompressionOptions;
  /**
   * Worker threads that deflate while this thread reads: default `os.availableParallelism() - 1`;
   * `1` deflates on this thread. The zip's bytes are the same whatever the number
   * (docs/performance.md).
   */
  deflateWorkers?: number;
  /** Fixed mtimes (no time-zone-dependent extra field) and sorted directory walks: identical inputs give identical bytes. */
  deterministic?: boolean;
  /** Writes the ZIP64 end records even when not needed (for testing readers). ZIP64 is used automatically when needed. */
  forceZip64?: boolean;
  /** Replaces an existing output file, only once the new zip is whole (written beside it, then renamed over it: a failed run leaves it as it was). Default false: an existing file is refused with `OUTPUT_EXISTS` and left as it was. */
  overwrite?: boolean;
  /** The memory watch: above a soft limit, intake waits for the output to drain. */
  memory?: MemoryGovernorOptions;
  /** Where warnings go (memory pauses). Default silent. */
  logger?: StorageLogger;
  /** Expected uncompressed bytes in all, for progress (and quoted as what was needed if the disk fills). */
  totalBytes?: number;
  /** Expected entries in all, for progress. */
  totalFiles?: number;
}

/** What an entry is stored with; everything optional. */
export interface ZipEntryOptions {
  /** Exact uncompressed size, when known: checked against the bytes read. */
  size?: number;
  /** Modification time. Default now (or {@link DETERMINISTIC_MTIME} when deterministic). */
  mtime?: Date;
  /** Unix mode including the type bits (`0o100644`); permission bits alone are accepted. Default `0o100644`. */
  mode?: number;
  /** Overrides the zipper's compression for this entry. */
  compress?: ZipCompression;
}

/** What {@link IncrementalZipper.finalize} reports. */
export interface ZipResult {
  /** Entries written (files, directories, links). */
  entries: number;
  /** Bytes handed to the output: the zip's size. */
  bytesWritten: number;
  /** SHA-256 of the zip (lowercase hex), computed while it was written: what a Greengrass recipe's `Digest` wants (base64 of the same bytes). */
  sha256: string;
  /** Uncompressed bytes read from the entries' sources. */
  bytesIn: number;
  /** Entries written with DEFLATE. */
  deflatedEntries: number;
  /** File entries stored without compression. */
  storedEntries: number;
  /** Highest resident set size sampled while writing. */
  peakRssBytes: number;
  /** Times intake paused because memory was above the soft limit. */
  memoryPauses: number;
  /** Milliseconds from construction to the output being closed. */
  durationMs: number;
}
