// An archive or entry refused: the reasons, each with its default suggestion.
import { StorageError, type StorageErrorOptions } from './storage-error.js';

/**
 * Why an extraction (or a repackage, which reads with the same readers and safety policy)
 * was refused. The safety policy, the readers and the fuzzing oracle all use this list.
 */
export const EXTRACTION_REASONS = [
  /** A name with a `..` segment, or one that resolves outside the destination. */
  'PATH_TRAVERSAL',
  /** An absolute name, a drive letter (`C:`) or a UNC prefix (`\\server`). */
  'ABSOLUTE_PATH',
  /** A name that is empty, contains NUL or a backslash, or breaks a length limit per segment. */
  'INVALID_NAME',
  /** A symbolic or hard link whose target leaves the destination, or a write through a link. */
  'LINK_ESCAPE',
  /** A link refused because the caller asked for `links: 'reject'`. */
  'LINK_REJECTED',
  /** A device, FIFO or other entry type we never create. */
  'UNSUPPORTED_ENTRY_TYPE',
  /** An entry-count, depth, path-length, header-size, total-size or ratio limit was exceeded. */
  'LIMIT_EXCEEDED',
  /** Malformed or truncated input: bad checksum, cut stream, impossible field values. */
  'CORRUPT',
  /** A CRC-32 that does not match the bytes really produced. */
  'CHECKSUM_MISMATCH',
  /** A declared size that does not match the bytes really produced. */
  'SIZE_MISMATCH',
  /** Zip entries whose byte ranges overlap each other or the central directory. */
  'OVERLAPPING_ENTRIES',
  /** The input is not a tar, tar.gz or zip (decided by magic bytes, never by name). */
  'UNSUPPORTED_FORMAT',
  /** Two entries that would be written to the same path in a way we refuse. */
  'DUPLICATE_ENTRY',
  /** The destination already holds a file or link at an entry's path (from before this call); it is never overwritten. */
  'DESTINATION_EXISTS',
  /** The archive path names nothing (or a folder): there is no archive to read. */
  'SOURCE_NOT_FOUND',
  /** The archive changed while it was being read (an S3 object replaced between two ranged reads). */
  'SOURCE_CHANGED',
  /** The caller's `AbortSignal` fired. */
  'ABORTED',
] as const;

/** One of {@link EXTRACTION_REASONS}. */
export type ExtractionReason = (typeof EXTRACTION_REASONS)[number];

/** Fields of an {@link ExtractionError}. */
export interface ExtractionErrorFields extends StorageErrorOptions {
  /** Why the archive or entry was refused. */
  reason: ExtractionReason;
  /** The entry's name as the archive gave it, when the error concerns one entry. */
  entryPath?: string;
  /** The archive, when it has a path. */
  archivePath?: string;
}

/** The `try:` each reason prints unless the thrower gives a better one (docs/errors.md lists them). */
export const EXTRACTION_SUGGESTIONS: Record<ExtractionReason, string> = {
  PATH_TRAVERSAL: 'the archive tries to write outside the destination; do not trust its source',
  ABSOLUTE_PATH: 'the archive names an absolute path; do not trust its source',
  INVALID_NAME: 'rename the entry where the archive is made, or filter it out',
  LINK_ESCAPE: "the archive's links point outside the destination; do not trust its source",
  LINK_REJECTED: "extract with links: 'within-destination' to allow links that stay inside",
  UNSUPPORTED_ENTRY_TYPE: 'filter out device and FIFO entries; they are never created',
  LIMIT_EXCEEDED: 'raise the named limit in `limits` if the archive is trusted',
  CORRUPT: 'download the archive again and compare its checksum with the source',
  CHECKSUM_MISMATCH: 'download the archive again and compare its checksum with the source',
  SIZE_MISMATCH: 'download the archive again; if it persists, the archive is malformed or hostile',
  OVERLAPPING_ENTRIES: 'the zip reuses bytes between entries (a zip bomb); do not trust its source',
  UNSUPPORTED_FORMAT: 'give a tar, tar.gz or zip; the format is read from the first bytes, not the name',
  DUPLICATE_ENTRY: 'remove the duplicate entry where the archive is made',
  DESTINATION_EXISTS: 'extract into a new or empty folder, or remove what is already there (existing files are never overwritten)',
  SOURCE_NOT_FOUND: 'check the archive path (relative paths start at the current folder) and that the download finished',
  SOURCE_CHANGED: 'read it again once nothing is writing it; publish archives under new keys instead of replacing them',
  ABORTED: 'the operation was cancelled by its AbortSignal; run it again when ready',
};

/**
 * An archive or entry was refused: hostile, over a limit, corrupt or cancelled. `reason` says
 * which, `entryPath` names the entry.
 *
 * @example
 * ```ts
 * if (error instanceof ExtractionError && error.reason === 'PATH_TRAVERSAL') {
 *   logger.warn('hostile archive', { entry: error.entryPath });
 * }
 * ```
 */
export class ExtractionError extends StorageError {
  static override readonly kind: string = 'ExtractionError';

  /** Why the archive or entry was refused. */
  readonly reason: ExtractionReason;
  /** The entry concerned, if any. */
  readonly entryPath: string | undefined;

  constructor(message: string, fields: ExtractionErrorFields) {
    const suggestion = fields.suggestion ?? EXTRACTION_SUGGESTIONS[fields.reason];
    const where = fields.entryPath === undefined ? '' : ` (entry ${JSON.stringify(fields.entryPath)})`;
    super('EXTRACTION_FAILED', `${message}${where}; ${suggestion}`, {
      cause: fields.cause,
      suggestion,
      details: {
        ...fields.details,
        reason: fields.reason,
        ...(fields.entryPath === undefined ? {} : { entryPath: fields.entryPath }),
        ...(fields.archivePath === undefined ? {} : { archivePath: fields.archivePath }),
      },
    });
    this.reason = fields.reason;
    this.entryPath = fields.entryPath;
  }
}
