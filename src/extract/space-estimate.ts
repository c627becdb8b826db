// Stub until the extractor lands: the extractor issue replaces this file.
import type { ArchiveFormat, ArchiveSource } from './types.js';

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
}

/** Estimates the disk needed to extract `archive`. */
export async function estimateArchiveSpace(_archive: ArchiveSource): Promise<SpaceEstimate> {
  throw new Error('not implemented yet');
}
