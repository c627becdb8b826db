// How failures inside the zipper become typed errors. Our own errors (an ExtractionError from a
// repackage source, an InsufficientStorageError from the output) pass through unchanged.
import { CompressionError, isStorageError } from '../errors/index.js';

function outputField(outputPath: string | undefined): { outputPath?: string } {
  return outputPath === undefined ? {} : { outputPath };
}

/** A source gave a different number of bytes than the entry declared. */
export function sizeMismatchError(name: string, declared: number, actual: number, outputPath: string | undefined): CompressionError {
  return new CompressionError(`entry declared ${declared} bytes but its source gave ${actual}`, { reason: 'SIZE_MISMATCH', entryPath: name, ...outputField(outputPath) });
}

/** An entry's source failed while it was read. */
export function sourceError(error: unknown, name: string | undefined, outputPath: string | undefined): Error {
  if (isStorageError(error)) return error;
  return new CompressionError(`reading the source of an entry failed: ${(error as Error)?.message ?? String(error)}`, {
    reason: 'SOURCE_FAILED',
    cause: error,
    ...(name === undefined ? {} : { entryPath: name }),
    ...outputField(outputPath),
  });
}
