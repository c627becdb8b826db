// The file-system half of the safety policy. Every parent of every entry is checked with
// lstat (a symlink anywhere on the way is refused, even one this call made); files are opened
// with O_CREAT | O_EXCL | O_NOFOLLOW, so a link put in the final place at the last moment
// makes the open fail instead of being followed; and on Linux the opened descriptor's real
// path is compared with the intended one, so a parent swapped for a link between the check
// and the open is caught before a byte is written. (node-tar's CVE-2021-32803 and
// CVE-2021-37701 were both a cached "this folder is fine" going stale; we cache nothing.)
import { closeSync, constants, fchmodSync, futimesSync, openSync, readlinkSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { link, lstat, mkdir, open, readlink, realpath, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ExtractionError } from '../../errors/index.js';
import type { CreatedPaths } from './created-paths.js';

const EXCLUSIVE_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

function linkEscape(message: string, entryPath: string): ExtractionError {
  return new ExtractionError(message, { reason: 'LINK_ESCAPE', entryPath });
}

function duplicate(message: string, entryPath: string): ExtractionError {
  return new ExtractionError(message, { reason: 'DUPLICATE_ENTRY', entryPath });
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Where entries go: the destination's real path (symlinks in its own path resolved once, at the start). */
export interface WriteTarget {
  /** Real path of the destination folder. */
  root: string;
  /** What this call created. */
  created: CreatedPaths;
  /**
   * Folders this call has checked (lstat: a real folder) or created. Only file writes may skip
   * re-checking them, because a file's final location is verified through its descriptor after
   * the open; links and folders, created by path, always walk every parent again. The archive
   * itself cannot turn one of these into a link (a folder is never replaced).
   */
  checkedFolders: Set<string>;
}

/** The absolute path of a checked relative entry path. */
export function targetPath(target: WriteTarget, entryPath: string): string {
  return join(target.root, ...entryPath.split('/'));
}

/**
 * Makes sure every parent folder of `entryPath` is a real folder (creating missing ones, and
 * recording them) and that none is a link. Returns the absolute path of the entry.
 */
export async function prepareParents(target: WriteTarget, entryPath: string, forFile = false): Promise<string> {
  const segments = entryPath.split('/');
  let current = target.root;
  for (let i = 0; i < segments.length - 1; i++) {
    current = join(current, segments[i] as string);
    if (forFile && target.checkedFolders.has(current)) continue;
    const stats = await lstatOrUndefined(current);
    if (stats === undefined) {
      await mkdir(current, { mode: 0o700 });
      target.created.add(current, 'directory');
      target.checkedFolders.add(current);
      continue;
    }
    if (stats.isSymbolicLink()) throw linkEscape(`would write through the link ${segments.slice(0, i + 1).join('/')}`, entryPath);
    if (!stats.isDirectory()) throw duplicate(`${segments.slice(0, i + 1).join('/')} is a file, not a folder`, entryPath);
    target.checkedFolders.add(current);
  }
  return join(current, segments[segments.length - 1] as string);
}

/**
 * Clears the way for a new non-folder entry at `path`: a file or link this call made earlier
 * is replaced (later tar entries win, as in every tar); anything that was there before is
 * never touched, and a folder is never replaced.
 */
export async function clearForReplacement(target: WriteTarget, path: string, entryPath: string): Promise<void> {
  const stats = await lstatOrUndefined(path);
  if (stats === undefined) return;
  const ours = target.created.kindOf(path);
  if (ours === undefined) {
    // Not from this archive: the destination held it before the call (a second extraction into the same folder).
    throw new ExtractionError(`${path} already exists in the destination and is not overwritten`, { reason: 'DESTINATION_EXISTS', entryPath });
  }
  if (stats.isDirectory()) throw duplicate('the archive has a folder and another entry with this name', entryPath);
  await unlink(path);
  target.created.forget(path);
}

/** Confirms the open descriptor is where we meant it to be (Linux: /proc/self/fd). */
async function assertOpenedAt(handle: FileHandle, expected: string, entryPath: string): Promise<void> {
  let actual: string;
  try {
    actual = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    // No /proc: fall back to the parent's real path, which catches the same swap a little later.
    actual = join(await realpath(dirname(expected)), basename(expected));
  }
  if (actual === expected) return;
  await handle.close().catch(() => undefined);
  await unlink(actual).catch(() => undefined);
  throw openedElsewhere(actual, entryPath);
}

function openedElsewhere(actual: string, entryPath: string): ExtractionError {
  return linkEscape(`a folder on the way was replaced by a link while writing (opened ${actual})`, entryPath);
}

/**
 * Creates a new file, never following a link, and records it. The caller writes and closes it.
 * The exclusive open comes first (most names are new): only when something is already there
 * do we look at what it is, replace it if this call made it, and try once more.
 */
export async function createFileExclusive(target: WriteTarget, relativePath: string, entryPath: string): Promise<{ handle: FileHandle; path: string }> {
  let path = await prepareParents(target, relativePath, true);
  let handle: FileHandle | undefined;
  for (let attempt = 0; handle === undefined; attempt++) {
    try {
      handle = await open(path, EXCLUSIVE_NO_FOLLOW, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt > 0 && (code === 'EEXIST' || code === 'ELOOP')) throw linkEscape('a link appeared at the path while writing', entryPath);
      if (code === 'EEXIST') {
        await clearForReplacement(target, path, entryPath);
      } else if (code === 'ENOENT' && attempt === 0) {
        // A folder we checked earlier is gone (a cleanup callback removed it): walk again.
        target.checkedFolders.clear();
        path = await prepareParents(target, relativePath);
      } else throw error;
    }
  }
  target.created.add(path, 'file');
  await assertOpenedAt(handle, path, entryPath);
  return { handle, path };
}

/** {@link assertOpenedAt}'s lookup, synchronously: where descriptor `fd` really is. */
function openedPathSync(fd: number, expected: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return join(realpathSync(dirname(expected)), basename(expected));
  }
}

/**
 * Creates a small file at `path` (its parents already prepared) and writes all of it, with
 * synchronous calls: each asynchronous call is a round trip through libuv's thread pool, and a
 * file needs six (open, the /proc check, write, mode, times, close), which made 100,000 tiny
 * files cost about 230 µs each against 31 µs this way (docs/performance.md, "Many small files").
 * The checks are those of {@link createFileExclusive}: an exclusive open that never follows a
 * link, then the descriptor's real path compared with the intended one before a byte is written.
 *
 * Returns false, having created nothing, when something is already at `path` or a folder on the
 * way is gone: the caller then takes {@link createFileExclusive}, which knows how to replace and
 * walk again. Any other failure is thrown, the file recorded so the rollback removes it.
 *
 * @example
 * ```ts
 * const path = await prepareParents(target, 'config.json', true);
 * if (!writeSmallFileSync(target, path, 'config.json', [bytes], 0o644, new Date())) { ... }
 * ```
 */
export function writeSmallFileSync(target: WriteTarget, path: string, entryPath: string, content: readonly Buffer[], mode: number, mtime: Date): boolean {
  let fd: number;
  try {
    fd = openSync(path, EXCLUSIVE_NO_FOLLOW, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    throw error;
  }
  target.created.add(path, 'file');
  let failed = true;
  try {
    const actual = openedPathSync(fd, path);
    if (actual !== path) {
      closeSync(fd);
      fd = -1;
      try {
        unlinkSync(actual);
      } catch {
        // Gone already: nothing of ours is left there.
      }
      throw openedElsewhere(actual, entryPath);
    }
    for (const chunk of content) {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at);
    }
    fchmodSync(fd, mode);
    futimesSync(fd, mtime, mtime);
    failed = false;
  } finally {
    if (fd !== -1) {
      try {
        closeSync(fd);
      } catch (error) {
        // A close that fails after a clean write may have lost the bytes (a network file system
        // reports write errors there): that is a failure too.
        if (!failed) throw error;
      }
    }
  }
  return true;
}

/** Creates a folder (or accepts an existing real folder) and records it if new. */
export async function createDirectory(target: WriteTarget, path: string, entryPath: string): Promise<boolean> {
  const stats = await lstatOrUndefined(path);
  if (stats !== undefined) {
    if (stats.isSymbolicLink()) throw linkEscape('a folder entry names an existing link', entryPath);
    if (!stats.isDirectory()) throw duplicate('the archive has a folder and another entry with this name', entryPath);
    return false;
  }
  await mkdir(path, { mode: 0o700 });
  target.created.add(path, 'directory');
  return true;
}

/**
 * Creates a symbolic link whose target the policy has already checked lexically; also checks
 * that the deepest existing folder on the resolved path really is inside the destination (a
 * pre-existing link in the destination cannot be used as a stepping stone).
 */
export async function createSymlink(target: WriteTarget, path: string, entryPath: string, linkTarget: string, resolved: string): Promise<void> {
  let probe = targetPath(target, resolved);
  for (;;) {
    try {
      const real = await realpath(probe);
      const inside = relative(target.root, real);
      if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
        throw linkEscape(`symbolic link resolves through an existing link to ${real}, outside the destination`, entryPath);
      }
      break;
    } catch (error) {
      if (error instanceof ExtractionError) throw error;
      const parent = dirname(probe);
      if (parent === probe || probe === target.root) break;
      probe = parent;
    }
  }
  await clearForReplacement(target, path, entryPath);
  await symlink(linkTarget, path);
  target.created.add(path, 'symlink');
}

/** Creates a hard link to a regular file this call extracted (never to anything else). */
export async function createHardlink(target: WriteTarget, path: string, entryPath: string, resolved: string, extractedFiles: { has(path: string): boolean }): Promise<void> {
  const existing = targetPath(target, resolved);
  if (existing === path) {
    // Replacing the target would delete the only copy before linking to it.
    throw new ExtractionError('hard link points to its own path', { reason: 'CORRUPT', entryPath });
  }
  if (!extractedFiles.has(existing)) {
    throw linkEscape(`hard link target ${JSON.stringify(resolved)} is not a file extracted earlier from this archive`, entryPath);
  }
  const stats = await lstatOrUndefined(existing);
  if (stats === undefined || !stats.isFile()) throw linkEscape(`hard link target ${JSON.stringify(resolved)} is no longer a regular file`, entryPath);
  await clearForReplacement(target, path, entryPath);
  await link(existing, path);
  target.created.add(path, 'hardlink');
}

/**
 * Sets a folder's mode and times through a descriptor opened with O_NOFOLLOW | O_DIRECTORY, so
 * a folder swapped for a link since we made it is refused rather than followed.
 */
export async function applyFolderMetadata(path: string, mode: number, mtime: Date): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') throw linkEscape('a folder was replaced by a link while extracting', path);
    if (code === 'ENOENT') return; // removed by a cleanup callback: nothing to set
    throw error;
  }
  try {
    await assertOpenedAt(handle, path, path);
    await handle.chmod(mode);
    await handle.utimes(mtime, mtime);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
