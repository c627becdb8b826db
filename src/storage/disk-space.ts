import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InsufficientStorageError } from '../errors/index.js';

/** Sizes of the disk that holds a path, in bytes, read with `fs.statfs` (no shelling out to `df`). */
export interface DiskSpace {
  /** Size of the file system. */
  totalBytes: number;
  /** Bytes an unprivileged process may still write (`bavail`, not `bfree`: root's reserve is not ours). */
  availableBytes: number;
  /** Bytes in use (`total - free`). */
  usedBytes: number;
}

/**
 * Reads the disk that holds `path`. When `path` does not exist yet, asks its nearest existing
 * parent, so a destination can be checked before it is created.
 *
 * @example
 * ```ts
 * const { availableBytes } = await readDiskSpace('/tmp');
 * ```
 */
export async function readDiskSpace(path: string): Promise<DiskSpace> {
  for (let current = path; ; current = dirname(current)) {
    try {
      const stats = await statfs(current);
      const block = Number(stats.bsize);
      const totalBytes = Number(stats.blocks) * block;
      return {
        totalBytes,
        availableBytes: Number(stats.bavail) * block,
        usedBytes: totalBytes - Number(stats.bfree) * block,
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) throw error;
    }
  }
}

/**
 * True for the errors a full disk or an exhausted quota raises (`ENOSPC`, `EDQUOT`).
 *
 * @example
 * ```ts
 * stream.on('error', (e) => { if (isDiskFullError(e)) ... });
 * ```
 */
export function isDiskFullError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** What was being done when the disk filled, for {@link toInsufficientStorageError}. */
export interface DiskFullContext {
  /** A path on the disk that filled (the destination or the output file). */
  path: string;
  /** Bytes the whole operation needed, when known; otherwise what was written plus what was left to write. */
  requiredBytes?: number;
  /** What needed the space ("extracting model.tar.gz"). */
  operation?: string;
  /** Bytes written before the disk filled, when known: kept in the error's `details.writtenBytes`. */
  writtenBytes?: number;
}

/**
 * Turns a raw `ENOSPC`/`EDQUOT` into an {@link InsufficientStorageError} carrying the true free
 * and total bytes of the disk, read at the moment of failure. Any other error is returned as is.
 * Never throws: if the disk cannot be read, the figures are the ones given.
 *
 * @example
 * ```ts
 * try { await pipeline(body, createWriteStream(target)); }
 * catch (e) { throw await toInsufficientStorageError(e, { path: target, requiredBytes: entry.size }); }
 * ```
 */
export async function toInsufficientStorageError(error: unknown, context: DiskFullContext): Promise<unknown> {
  if (!isDiskFullError(error)) return error;
  let disk: DiskSpace | undefined;
  try {
    disk = await readDiskSpace(context.path);
  } catch {
    disk = undefined;
  }
  const availableBytes = disk?.availableBytes ?? 0;
  return new InsufficientStorageError({
    // The disk filled, so whatever was needed was more than what was free.
    requiredBytes: Math.max(context.requiredBytes ?? 0, availableBytes + 1),
    availableBytes,
    path: context.path,
    ...(disk === undefined ? {} : { totalBytes: disk.totalBytes }),
    ...(context.operation === undefined ? {} : { operation: context.operation }),
    ...(context.writtenBytes === undefined ? {} : { details: { writtenBytes: context.writtenBytes } }),
    cause: error,
  });
}
