import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CleanupFailure } from '../errors/index.js';

/** What a removal did: counts, and every path that could not be removed. */
export interface RemovalResult {
  /** Files (and links) removed. Directories are not counted. */
  filesRemoved: number;
  /** Sum of the apparent sizes of the files removed. */
  bytesFreed: number;
  /** Every path that could not be removed, each with its cause. Empty when all went well. */
  failures: CleanupFailure[];
}

/**
 * Removes `path` and everything under it, counting files and bytes on the way. Never follows a
 * symbolic link (the link is removed, not its target). Keeps going after a failure so that one
 * stuck file does not leave the rest behind, and reports each failure; a directory is not
 * listed when only its children failed (it cannot be empty). A missing path is not an error.
 *
 * @param keepRoot - remove only what is inside `path` and keep the directory itself.
 *
 * @example
 * ```ts
 * const { filesRemoved, bytesFreed, failures } = await removeTree('/tmp/job-1');
 * if (failures.length > 0) throw new CleanupFailedError(failures);
 * ```
 */
export async function removeTree(path: string, keepRoot = false): Promise<RemovalResult> {
  const result: RemovalResult = { filesRemoved: 0, bytesFreed: 0, failures: [] };
  await removeInto(path, keepRoot, result);
  return result;
}

async function removeInto(path: string, keepRoot: boolean, result: RemovalResult): Promise<boolean> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    result.failures.push({ path, cause: error });
    return false;
  }
  if (!stats.isDirectory()) {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      result.failures.push({ path, cause: error });
      return false;
    }
    result.filesRemoved++;
    result.bytesFreed += stats.size;
    return true;
  }
  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    result.failures.push({ path, cause: error });
    return false;
  }
  let allRemoved = true;
  // One child at a time: a cleanup must not open thousands of handles on a busy Lambda.
  for (const name of names) {
    if (!(await removeInto(join(path, name), false, result))) allRemoved = false;
  }
  if (keepRoot || !allRemoved) return allRemoved;
  try {
    await rmdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    result.failures.push({ path, cause: error });
    return false;
  }
  return true;
}
