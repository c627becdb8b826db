import { ExtractionError } from '../errors/index.js';
import { BLOCK_SIZE, hasValidChecksum, isZeroBlock } from './readers/tar-header.js';
import type { ArchiveFormat } from './types.js';

/** How many leading bytes {@link detectFormat} wants (a tar's magic sits at 257..262). */
export const DETECT_BYTES = BLOCK_SIZE;

/**
 * Names the format from the first bytes, never from a file name: gzip (`1f 8b`), zip
 * (`PK\x03\x04`, or `PK\x05\x06` for an empty zip), tar by its `ustar` magic at offset 257
 * or, for an old v7 tar with no magic, by a valid header checksum (an empty tar, all zero
 * blocks, is a tar too). Throws
 * `UNSUPPORTED_FORMAT` otherwise. A gzip is assumed to hold a tar; the tar reader says so
 * if it does not.
 *
 * @example
 * ```ts
 * detectFormat(Buffer.from([0x1f, 0x8b, 8, 0])); // "tar.gz"
 * ```
 */
export function detectFormat(head: Buffer, label?: string): ArchiveFormat {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
    // local file header (03 04), end of central directory (05 06: an empty zip), zip64 end of
    // central directory (06 06: an empty zip64 zip), or a spanned-archive marker (07 08)
    const tag = head.readUInt16LE(2);
    if (tag === 0x0403 || tag === 0x0605 || tag === 0x0606 || tag === 0x0807) return 'zip';
  }
  if (head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  if (head.length >= BLOCK_SIZE && hasValidChecksum(head)) return 'tar';
  // An empty tar is nothing but its end-of-archive marker: zero blocks.
  if (head.length >= BLOCK_SIZE && isZeroBlock(head.subarray(0, BLOCK_SIZE))) return 'tar';
  const shown = head.subarray(0, 8).toString('hex');
  throw new ExtractionError(`not a tar, tar.gz or zip (first bytes ${shown || 'none: empty input'})`, {
    reason: 'UNSUPPORTED_FORMAT',
    ...(label === undefined ? {} : { archivePath: label }),
  });
}
