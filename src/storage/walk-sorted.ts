import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One item found by {@link walkSorted}. */
export interface WalkedItem {
  /** Path relative to the walked root, with forward slashes. */
  relativePath: string;
  /** Absolute (or root-joined) path on disk. */
  absolutePath: string;
  /** What it is; `'other'` for devices, FIFOs and sockets. */
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Size in bytes (files). */
  size: number;
  /** Permission and type bits. */
  mode: number;
  /** Modification time. */
  mtime: Date;
}

/**
 * Walks `root` depth-first in code-point order of names (a directory before its contents), so
 * two walks of the same tree give the same order on any file system. Does not follow symlinks.
 * Holds one directory listing per level, never the whole tree.
 *
 * @example
 * ```ts
 * for await (const item of walkSorted('/models/resnet')) console.log(item.relativePath);
 * ```
 */
export async function* walkSorted(root: string, prefix = ''): AsyncGenerator<WalkedItem> {
  const names = (await readdir(root)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const absolutePath = join(root, name);
    const relativePath = prefix === '' ? name : `${prefix}/${name}`;
    const stats = await lstat(absolutePath);
    const type = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'other';
    yield { relativePath, absolutePath, type, size: stats.size, mode: stats.mode, mtime: stats.mtime };
    if (type === 'directory') yield* walkSorted(absolutePath, relativePath);
  }
}
