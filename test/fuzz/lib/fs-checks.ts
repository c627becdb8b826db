// Filesystem checks of the oracle: after a success, everything under the destination stays
// inside it (no path, symlink or hard link reaching out); after a rejection, nothing is left.
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Whether `child` is `parent` or lies under it. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Problems with an extracted tree: a path whose real location is outside `root`, a symlink
 * whose target resolves outside it, a hard link shared with a file outside it.
 *
 * @example
 * ```ts
 * expect(await confinementProblems('/mnt/fuzz/c1/dest')).toEqual([]);
 * ```
 */
export async function confinementProblems(root: string): Promise<string[]> {
  const problems: string[] = [];
  const realRoot = await realpath(root);
  const links = new Map<string, { nlink: number; seen: number; path: string }>();
  const walk = async (folder: string): Promise<void> => {
    for (const name of await readdir(folder)) {
      const path = join(folder, name);
      const stats = await lstat(path);
      const realParent = await realpath(folder);
      if (!isInside(realRoot, realParent)) problems.push(`${path}: parent resolves to ${realParent}, outside ${realRoot}`);
      if (stats.isSymbolicLink()) {
        const target = await readlink(path);
        const lexical = resolve(dirname(path), target);
        if (!isInside(resolve(root), lexical)) problems.push(`${path}: symlink to ${target} resolves to ${lexical}, outside`);
        const real = await realpath(path).catch(() => undefined);
        if (real !== undefined && !isInside(realRoot, real)) problems.push(`${path}: symlink really resolves to ${real}, outside`);
      } else if (stats.isDirectory()) {
        await walk(path);
      } else if (stats.isFile()) {
        if (stats.nlink > 1) {
          const key = `${stats.dev}:${stats.ino}`;
          const entry = links.get(key) ?? { nlink: stats.nlink, seen: 0, path };
          entry.seen++;
          links.set(key, entry);
        }
      } else {
        problems.push(`${path}: a ${stats.isFIFO() ? 'FIFO' : 'device or socket'} was created`);
      }
      if ((stats.mode & 0o7000) !== 0 && !stats.isSymbolicLink()) problems.push(`${path}: mode ${stats.mode.toString(8)} keeps setuid/setgid/sticky`);
    }
  };
  await walk(root);
  for (const { nlink, seen, path } of links.values()) {
    if (seen !== nlink) problems.push(`${path}: ${nlink} hard links but ${seen} inside the destination`);
  }
  return problems;
}

/** Names in `folder` other than `allowed`. */
export async function unexpectedNames(folder: string, allowed: readonly string[]): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((n) => !allowed.includes(n));
}

/** Whether `path` still holds exactly `content` and has one link. */
export async function isUntouched(path: string, content: string): Promise<boolean> {
  try {
    const stats = await lstat(path);
    return stats.isFile() && stats.nlink === 1 && (await readFile(path, 'utf8')) === content;
  } catch {
    return false;
  }
}
