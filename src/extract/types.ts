import type { Readable } from 'node:stream';

/** The archive formats we read, decided by magic bytes, never by file name. */
export type ArchiveFormat = 'tar' | 'tar.gz' | 'zip';

/** The entry types we yield. Devices, FIFOs and others are refused before they reach a caller. */
export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink';

/**
 * A zip needs random access. Anything that can read a byte range and knows its total size
 * can be a source: a local file, an S3 object read by ranged GETs, a buffer.
 *
 * @example
 * ```ts
 * const reader: RandomAccessSource = {
 *   size: buffer.length,
 *   createReadStream: (start, end) => Readable.from(buffer.subarray(start, end)),
 * };
 * ```
 */
export interface RandomAccessSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A stream of the bytes in `[start, end)`. */
  createReadStream(start: number, end: number): Readable;
  /**
   * Releases whatever the source holds (connections, descriptors). Optional. The extractor
   * never calls it: it may read one source several times (estimate, then extract), so the
   * caller closes it when done.
   */
  close?(): Promise<void>;
  /** A label for messages ("s3://bucket/key"). Optional. */
  readonly name?: string;
}

/**
 * What an archive operation reads: a file path (any format), a `Readable` (tar and tar.gz;
 * a zip given as a stream is refused with a clear error), or a {@link RandomAccessSource}
 * (any format; the only way to read a zip that is not a local file).
 */
export type ArchiveSource = string | Readable | RandomAccessSource;

/**
 * One entry of an archive, yielded by `StreamingExtractor.entries()`. Its name has already
 * passed the safety policy. Its `body` must be consumed, or `skip()` called, before the next
 * entry is read: that is what keeps memory flat and lets a caller delete each file before
 * the next arrives.
 */
export interface ArchiveEntry {
  /** Relative path with forward slashes, normalised, no trailing slash, checked by the safety policy. */
  readonly path: string;
  /** What the entry is. */
  readonly type: EntryType;
  /** Uncompressed size in bytes (0 for directories and links). */
  readonly size: number;
  /** Permission bits after sanitising (no setuid, setgid, sticky, group/other write). */
  readonly mode: number;
  /** Modification time. */
  readonly mtime: Date;
  /** For links: the target as the archive gives it (already checked). */
  readonly linkTarget?: string;
  /** The contents; empty for anything but files. Verified (size, CRC for zip) as it is read. */
  readonly body: Readable;
  /** Discards the body without writing it anywhere. */
  skip(): Promise<void>;
}
