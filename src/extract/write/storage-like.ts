import { InsufficientStorageError } from '../../errors/index.js';
import { readDiskSpace } from '../../storage/disk-space.js';

/**
 * The part of a `StorageManager` the extractor uses. Any object with these methods works, so
 * the extractor does not depend on how space is budgeted.
 */
export interface ExtractorStorage {
  /** The directory the manager watches, when it has one. */
  path?: string;
  /** Bytes free now (less any reservations). */
  getAvailableSpace(): Promise<number>;
  /** Throws {@link InsufficientStorageError} when fewer than `bytes` are free. */
  ensureSpace(bytes: number, options?: { operation?: string }): Promise<void>;
}

/**
 * The default when no storage manager is given: the free space of the disk that holds `path`,
 * read with `fs.statfs`.
 *
 * @example
 * ```ts
 * await diskStorage('/tmp/model').ensureSpace(3 * GiB, { operation: 'extracting model.tar.gz' });
 * ```
 */
export function diskStorage(path: string): ExtractorStorage {
  return {
    path,
    async getAvailableSpace() {
      return (await readDiskSpace(path)).availableBytes;
    },
    async ensureSpace(bytes, options) {
      const disk = await readDiskSpace(path);
      if (disk.availableBytes >= bytes) return;
      throw new InsufficientStorageError({
        requiredBytes: bytes,
        availableBytes: disk.availableBytes,
        totalBytes: disk.totalBytes,
        path,
        ...(options?.operation === undefined ? {} : { operation: options.operation }),
        suggestion:
          'raise the ephemeral storage, extract only what you need with extractSelective(), or process entries one at a time with entries() / repackage() so no scratch disk is used',
      });
    },
  };
}
