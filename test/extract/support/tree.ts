// Compare an extracted folder with what the archive was built from.
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

/** One path in a snapshot: kind, mode (permission bits), content hash or link target. */
export interface Snapshot {
  [path: string]: { kind: 'file' | 'directory' | 'symlink'; mode?: number; content?: string };
}

/** Everything under `root`, recursively, without following links. */
export async function snapshotTree(root: string, withModes = true): Promise<Snapshot> {
  const out: Snapshot = {};
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const full = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const stats = await lstat(full);
      if (stats.isSymbolicLink()) out[rel] = { kind: 'symlink', content: await readlink(full) };
      else if (stats.isDirectory()) {
        out[rel] = { kind: 'directory', ...(withModes ? { mode: stats.mode & 0o7777 } : {}) };
        await walk(full, rel);
      } else {
        out[rel] = {
          kind: 'file',
          ...(withModes ? { mode: stats.mode & 0o7777 } : {}),
          content: createHash('sha256').update(await readFile(full)).digest('hex'),
        };
      }
    }
  }
  await walk(root, '');
  return out;
}

/** sha256 of a buffer, as the snapshot stores it. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
