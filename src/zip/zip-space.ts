// Sizing a folder's zip before it is written: the space check behind createZipStreaming().
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InsufficientStorageError } from '../errors/index.js';
import { readDiskSpace } from '../storage/disk-space.js';
import { walkSorted } from '../storage/walk-sorted.js';
import type { IncrementalZipperOptions } from './zip-types.js';

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

// Local header (30 + 20 ZIP64 + 9 UT) + data descriptor (24, ZIP64) + central record (46 + 9 UT + 28 ZIP64).
const PER_ENTRY_OVERHEAD = 166;

/** What {@link reserveZipSpace} found and holds. */
export interface ZipSpacePlan {
  /** Uncompressed bytes of the files under the folder. */
  totalBytes: number;
  /** Entries the zip will have. */
  totalFiles: number;
  /** Gives back the space held in the ledger, if any. */
  release(): void;
}

/**
 * Walks `sourceDir` once to size the zip, then checks (or reserves, with `storage`) the space its
 * disk needs: with `deleteAfterAdd` on the same disk, only the largest file. Throws
 * {@link InsufficientStorageError} before anything is written when it does not fit.
 *
 * @example
 * ```ts
 * const plan = await reserveZipSpace('/tmp/model', '/tmp/model.zip', { deleteAfterAdd: true });
 * try { ... } finally { plan.release(); }
 * ```
 */
export async function reserveZipSpace(sourceDir: string, zipPath: string, options: CreateZipStreamingOptions = {}): Promise<ZipSpacePlan> {
  const { deleteAfterAdd = false, skipSpaceCheck = false, storage } = options;
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
    // The output's folder may not exist yet (the zipper creates it): compare with its nearest parent.
    const sameDisk = (await stat(resolve(sourceDir))).dev === (await nearestExistingStat(dirname(resolve(zipPath)))).dev;
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
  return { totalBytes, totalFiles, release: () => reservation?.release() };
}

async function nearestExistingStat(path: string): Promise<Stats> {
  for (let current = path; ; current = dirname(current)) {
    try {
      return await stat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) throw error;
    }
  }
}
