import { readlink, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InsufficientStorageError } from '../errors.js';
import { readDiskSpace } from '../storage/disk-space.js';
import { IncrementalZipper, type IncrementalZipperOptions, type ZipResult } from './incremental-zipper.js';
import { walkSorted } from './walk-sorted.js';

/** Options of {@link createZipStreaming}. */
export interface CreateZipStreamingOptions extends IncrementalZipperOptions {
  /**
   * Removes each source file as soon as it has been read into the zip, so the disk peak is
   * the source plus the largest file rather than the source plus the zip. Destructive: if the
   * zip then fails, the files already removed are gone (the partial zip is removed too).
   */
  deleteAfterAdd?: boolean;
  /** Skips the free-space check before writing. */
  skipSpaceCheck?: boolean;
  /**
   * A `StorageManager` for the output's disk: the zip's bytes are reserved in its ledger for
   * the whole run (so concurrent operations in this process never overcommit the disk), instead
   * of a one-off free-space check.
   */
  storage?: ZipStorage;
}

/** What {@link createZipStreaming} needs of a `StorageManager`: a reservation ledger. */
export interface ZipStorage {
  /** Claims `bytes`; waits in line or throws `InsufficientStorageError`. */
  reserve(bytes: number, options?: ZipReserveOptions): Promise<ZipReservation>;
}

/** Options {@link createZipStreaming} passes to {@link ZipStorage.reserve}. */
export interface ZipReserveOptions {
  /** What needs the space, quoted in errors. */
  operation?: string;
  /** Cancels the wait. */
  signal?: AbortSignal;
}

/** A held reservation. */
export interface ZipReservation {
  /** Gives the bytes back to the ledger. */
  release(): void;
}

// Local header (30) + data descriptor (24, ZIP64) + central record (46 + 9 UT + 28 ZIP64).
const PER_ENTRY_OVERHEAD = 137;

/**
 * Zips a directory tree into `zipPath`, one file at a time, in sorted order. Checks first that
 * the output's disk can hold the zip (with `deleteAfterAdd` on the same disk, only the largest
 * file), and throws {@link InsufficientStorageError} before writing anything when it cannot.
 *
 * @example
 * ```ts
 * const result = await createZipStreaming('/tmp/model', '/tmp/model.zip', {
 *   deleteAfterAdd: true,
 *   onProgress: (p) => console.log(p.bytesProcessed, p.totalBytes),
 * });
 * ```
 */
export async function createZipStreaming(sourceDir: string, zipPath: string, options: CreateZipStreamingOptions = {}): Promise<ZipResult> {
  const { deleteAfterAdd = false, skipSpaceCheck = false, storage, ...zipperOptions } = options;
  let totalBytes = 0;
  let totalFiles = 0;
  let largest = 0;
  let overhead = 22 + 76;
  for await (const item of walkSorted(sourceDir)) {
    if (item.type === 'other') continue;
    totalFiles++;
    overhead += PER_ENTRY_OVERHEAD + 2 * Buffer.byteLength(item.relativePath);
    if (item.type === 'file') {
      totalBytes += item.size;
      largest = Math.max(largest, item.size);
    }
  }
  // Deflate can grow incompressible data by 0.03% plus a few bytes per block; auto never does.
  const worstCase = Math.ceil(totalBytes * 1.001) + overhead;
  let reservation: ZipReservation | undefined;
  if (!skipSpaceCheck) {
    const sameDisk = (await stat(resolve(sourceDir))).dev === (await stat(dirname(resolve(zipPath)))).dev;
    const required = deleteAfterAdd && sameDisk ? Math.ceil(largest * 1.001) + overhead : worstCase;
    const operation = `zipping ${sourceDir}`;
    if (storage) reservation = await storage.reserve(required, { operation, ...(options.signal ? { signal: options.signal } : {}) });
    const disk = storage ? undefined : await readDiskSpace(dirname(resolve(zipPath)));
    if (disk && disk.availableBytes < required) {
      throw new InsufficientStorageError({
        requiredBytes: required,
        availableBytes: disk.availableBytes,
        totalBytes: disk.totalBytes,
        path: dirname(resolve(zipPath)),
        operation,
        ...(deleteAfterAdd ? {} : { suggestion: 'pass deleteAfterAdd to free each source file as it is zipped, or stream with repackage() so no scratch disk is used' }),
      });
    }
  }
  try {
    return await writeTree(sourceDir, zipPath, deleteAfterAdd, { totalBytes, totalFiles, ...zipperOptions });
  } finally {
    reservation?.release();
  }
}

async function writeTree(sourceDir: string, zipPath: string, deleteAfterAdd: boolean, zipperOptions: IncrementalZipperOptions): Promise<ZipResult> {
  const zipper = new IncrementalZipper(zipPath, zipperOptions);
  try {
    for await (const item of walkSorted(sourceDir)) {
      if (item.type === 'directory') await zipper.addDirectoryEntry(item.relativePath, { mode: item.mode, mtime: item.mtime });
      else if (item.type === 'symlink') await zipper.addSymlink(item.relativePath, await readlink(item.absolutePath), { mtime: item.mtime });
      else if (item.type === 'file') {
        await zipper.addFileStreaming(item.absolutePath, item.relativePath);
        if (deleteAfterAdd) await rm(item.absolutePath, { force: true });
      }
    }
  } catch (error) {
    // The zipper removes its output on its own failures; a failed walk must do the same.
    await zipper.abort(`walking ${sourceDir} failed`);
    throw error;
  }
  return zipper.finalize();
}
