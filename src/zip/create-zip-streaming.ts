// `createZipStreaming()`: a folder to a zip, one file at a time. The work is
// IncrementalZipper.createZipStreaming; this is its standalone name.
import { IncrementalZipper } from './incremental-zipper.js';
import type { ZipResult } from './zip-types.js';
import type { CreateZipStreamingOptions } from './zip-space.js';

export type { CreateZipStreamingOptions, ZipStorage, ZipReserveOptions, ZipReservation } from './zip-space.js';

/**
 * Zips a directory tree into `zipPath`, one file at a time, in sorted order. Checks first that
 * the output's disk can hold the zip (with `deleteAfterAdd` on the same disk, only the largest
 * file), and throws `InsufficientStorageError` before writing anything when it cannot.
 *
 * @example
 * ```ts
 * const result = await createZipStreaming('/tmp/model', '/tmp/model.zip', {
 *   deleteAfterAdd: true,
 *   onProgress: (p) => console.log(p.bytesProcessed, p.totalBytes),
 * });
 * ```
 */
export function createZipStreaming(sourceDir: string, zipPath: string, options: CreateZipStreamingOptions = {}): Promise<ZipResult> {
  return IncrementalZipper.createZipStreaming(sourceDir, zipPath, options);
}
