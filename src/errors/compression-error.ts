// Writing a zip failed: the reasons, each with its default suggestion.
import { StorageError, type StorageErrorOptions } from './storage-error.js';

/** Why writing a zip failed. */
export const COMPRESSION_REASONS = [
  /** Reading a source file or stream failed. */
  'SOURCE_FAILED',
  /** Writing the output failed (not a full disk: that is {@link InsufficientStorageError}). */
  'WRITE_FAILED',
  /** An entry name the zip format or the safety policy refuses. */
  'INVALID_NAME',
  /** A declared size that differs from the bytes really read. */
  'SIZE_MISMATCH',
  /** The zipper was used after `finalize()` or after a failure. */
  'INVALID_STATE',
  /** The output file already exists and `overwrite` was not set. */
  'OUTPUT_EXISTS',
  /** The caller's `AbortSignal` fired. */
  'ABORTED',
] as const;

/** One of {@link COMPRESSION_REASONS}. */
export type CompressionReason = (typeof COMPRESSION_REASONS)[number];

/** Fields of a {@link CompressionError}. */
export interface CompressionErrorFields extends StorageErrorOptions {
  /** Why writing the zip failed. */
  reason: CompressionReason;
  /** The entry being written, if any. */
  entryPath?: string;
  /** The output, when it is a path. */
  outputPath?: string;
}

/** The `try:` each reason prints unless the thrower gives a better one (docs/errors.md lists them). */
export const COMPRESSION_SUGGESTIONS: Record<CompressionReason, string> = {
  SOURCE_FAILED: 'check that the source exists and is readable',
  WRITE_FAILED: 'check that the output location is writable and reachable',
  INVALID_NAME: 'use a relative name with forward slashes and no `..` segment',
  SIZE_MISMATCH: 'the source changed while it was read; retry once it is stable',
  INVALID_STATE: 'create a new IncrementalZipper for each archive',
  OUTPUT_EXISTS: 'choose another output path, remove the file, or pass overwrite: true (--force on the command line)',
  ABORTED: 'the operation was cancelled by its AbortSignal; run it again when ready',
};

/**
 * Writing a zip failed. The partly written output has been removed when it was a file.
 *
 * @example
 * ```ts
 * if (error instanceof CompressionError) console.error(error.reason, error.entryPath);
 * ```
 */
export class CompressionError extends StorageError {
  static override readonly kind: string = 'CompressionError';

  /** Why writing failed. */
  readonly reason: CompressionReason;
  /** The entry concerned, if any. */
  readonly entryPath: string | undefined;

  constructor(message: string, fields: CompressionErrorFields) {
    const suggestion = fields.suggestion ?? COMPRESSION_SUGGESTIONS[fields.reason];
    const where = fields.entryPath === undefined ? '' : ` (entry ${JSON.stringify(fields.entryPath)})`;
    super('COMPRESSION_FAILED', `${message}${where}; ${suggestion}`, {
      cause: fields.cause,
      suggestion,
      details: {
        ...fields.details,
        reason: fields.reason,
        ...(fields.entryPath === undefined ? {} : { entryPath: fields.entryPath }),
        ...(fields.outputPath === undefined ? {} : { outputPath: fields.outputPath }),
      },
    });
    this.reason = fields.reason;
    this.entryPath = fields.entryPath;
  }
}
