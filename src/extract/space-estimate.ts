// How much disk an extraction will take, read from the cheapest place that says so: a zip's
// central directory, a plain tar's headers (bodies jumped over with positional reads), or a
// gzip's trailer.
import { openArchiveFile } from './sources/open-archive-file.js';
import { GiB } from '../units.js';
import { visitArchiveEntries, type ArchiveInfoEntry } from './archive-info.js';
import { DETECT_BYTES, detectFormat } from './detect-format.js';
import { resolveLimits, type ExtractionLimits } from './policy/limits.js';
import { isRandomAccessSource } from './sources/open-archive.js';
import { readFileRange, readSourceRange } from './sources/read-range.js';
import type { ArchiveFormat, ArchiveSource, RandomAccessSource } from './types.js';

/** How much disk extracting an archive will take. */
export interface SpaceEstimate {
  /** Uncompressed bytes the entries will take. */
  bytes: number;
  /** True when read from headers (zip central directory, plain tar); false when estimated (gzip ISIZE). */
  exact: boolean;
  /** The archive's format. */
  format: ArchiveFormat;
  /** Number of entries, when known without reading the whole archive. */
  entries?: number;
  /** How the figure was reached and what it may miss. */
  note?: string;
  /** `bytes` with each file rounded up to a 4 KiB block: closer to what a disk really gives up. Exact formats only. */
  diskBytes?: number;
}

/** A file system block: small files take at least this much. */
export const DISK_BLOCK_BYTES = 4096;
const TWO_POW_32 = 4 * GiB;

/** What {@link estimateFromIsize} concludes. */
export interface IsizeEstimate {
  /** Estimated uncompressed bytes (a lower bound). */
  bytes: number;
  /** How many times 4 GiB was added to ISIZE. */
  wraps: number;
}

/**
 * Turns a gzip ISIZE (the uncompressed size modulo 2^32, RFC 1952 section 2.3.1) into an
 * estimate. Deflate never expands data by more than a few bytes per 16 KiB block, so the
 * uncompressed size is at least about the compressed size: while ISIZE is below that floor,
 * the true size must have wrapped, and we add 4 GiB. A stream that wrapped more often than
 * the floor reveals cannot be told apart: the figure is a lower bound. Pure.
 *
 * @example
 * ```ts
 * estimateFromIsize(1_000, 5 * GiB).bytes; // 1000 + 8 GiB: 5 GiB compressed cannot hold only 1000 bytes
 * ```
 */
export function estimateFromIsize(isize: number, compressedBytes: number): IsizeEstimate {
  const floor = Math.max(0, Math.floor(compressedBytes * 0.999) - 1024);
  let bytes = isize;
  let wraps = 0;
  while (bytes < floor) {
    bytes += TWO_POW_32;
    wraps++;
  }
  return { bytes, wraps };
}

async function readTail(archive: string | RandomAccessSource, length: number): Promise<{ head: Buffer; tail: Buffer; size: number }> {
  if (typeof archive === 'string') {
    const { handle, size } = await openArchiveFile(archive);
    try {
      const head = await readFileRange(handle, 0, Math.min(DETECT_BYTES, size));
      const tail = await readFileRange(handle, Math.max(0, size - length), size);
      return { head, tail, size };
    } finally {
      await handle.close();
    }
  }
  const size = archive.size;
  const head = await readSourceRange(archive, 0, Math.min(DETECT_BYTES, size));
  const tail = await readSourceRange(archive, Math.max(0, size - length), size);
  return { head, tail, size };
}

/**
 * Estimates the disk needed to extract `archive`: exact for a zip (central directory only) and
 * a plain tar (headers only; on a local file the bodies are jumped over, not read), estimated
 * from the gzip trailer for a tar.gz. A `Readable` is consumed by the estimate (there is no
 * other way to learn its size); give a path or a RandomAccessSource to estimate and then extract.
 *
 * @example
 * ```ts
 * const { bytes, exact, note } = await estimateArchiveSpace('model.tar.gz');
 * ```
 */
export async function estimateArchiveSpace(archive: ArchiveSource, options: { limits?: Partial<ExtractionLimits> } = {}): Promise<SpaceEstimate> {
  return (await estimateWithListing(archive, options)).estimate;
}

/**
 * {@link estimateArchiveSpace}, plus, when a listing is read on the way (zip, plain tar) and
 * `keep` is given, the bytes of the files `keep` accepts: a selective extraction totals what it
 * keeps without reading the directory twice, and without holding the listing.
 */
export async function estimateWithListing(
  archive: ArchiveSource,
  options: { limits?: Partial<ExtractionLimits>; keep?: (entry: ArchiveInfoEntry) => boolean } = {},
): Promise<{ estimate: SpaceEstimate; keptBytes?: number }> {
  const limits = resolveLimits(options.limits);
  if (typeof archive === 'string' || isRandomAccessSource(archive)) {
    const { head, tail, size } = await readTail(archive, 4);
    const format = detectFormat(head, typeof archive === 'string' ? archive : archive.name);
    if (format === 'tar.gz') {
      // ISIZE: the last 4 bytes, little-endian, of the last gzip member.
      const isize = tail.length === 4 ? tail.readUInt32LE(0) : 0;
      const { bytes, wraps } = estimateFromIsize(isize, size);
      const estimate: SpaceEstimate = {
        bytes,
        exact: false,
        format,
        note:
          `from the gzip trailer (ISIZE ${isize}, the size modulo 4 GiB, of the last gzip member)` +
          (wraps > 0 ? `; ${wraps} x 4 GiB added because ${size} compressed bytes cannot hold fewer` : '') +
          '; the tar headers are included, a content larger by a further multiple of 4 GiB cannot be seen without reading it all',
      };
      return { estimate };
    }
  }
  let diskBytes = 0;
  let keptBytes = 0;
  const keep = options.keep;
  const info = await visitArchiveEntries(archive, { limits }, (entry) => {
    diskBytes += Math.ceil(entry.size / DISK_BLOCK_BYTES) * DISK_BLOCK_BYTES + (entry.size === 0 ? DISK_BLOCK_BYTES : 0);
    if (keep !== undefined && keep(entry)) keptBytes += entry.size;
  });
  const estimate: SpaceEstimate = {
    bytes: info.totalBytes,
    exact: true,
    format: info.format,
    entries: info.entryCount,
    diskBytes,
    note: info.format === 'zip' ? 'from the zip central directory' : 'from the tar headers (bodies skipped)',
  };
  return keep === undefined ? { estimate } : { estimate, keptBytes };
}
