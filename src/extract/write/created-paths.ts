import { lstat, realpath, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CleanupFailedError, type CleanupFailure } from '../../errors/index.js';

async function parentIsUnchanged(path: string): Promise<boolean> {
  try {
    return (await realpath(dirname(path))) === dirname(path);
  } catch {
    return false;
  }
}

/** What we created at a path. */
export type CreatedKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'tree';

/**
 * Everything one extraction created, in order, so a failure can remove exactly that and
 * nothing else: files that were in the destination before are never in this list.
 *
 * @example
 * ```ts
 * const created = new CreatedPaths();
 * created.add('/dest/a', 'directory');
 * await created.rollback();
 * ```
 */
export class CreatedPaths {
  private readonly order: Array<{ path: string; kind: CreatedKind }> = [];
  private readonly kinds = new Map<string, CreatedKind>();

  /** Records a path this call created. */
  add(path: string, kind: CreatedKind): void {
    this.order.push({ path, kind });
    this.kinds.set(path, kind);
  }

  /** Forgets a path (it was replaced or removed by us). */
  forget(path: string): void {
    this.kinds.delete(path);
  }

  /** What this call created at `path`, if anything. */
  kindOf(path: string): CreatedKind | undefined {
    return this.kinds.get(path);
  }

  /**
   * Removes everything recorded, newest first. Already-gone paths (a cleanup callback deleted
   * them) are fine. Throws {@link CleanupFailedError} listing what could not be removed.
   */
  async rollback(): Promise<void> {
    const failures: CleanupFailure[] = [];
    for (let i = this.order.length - 1; i >= 0; i--) {
      const { path, kind } = this.order[i] as { path: string; kind: CreatedKind };
      if (this.kinds.get(path) !== kind) continue;
      try {
        // Entries are recorded under the destination's real path. If a folder on the way has
        // since become a link (something raced us), removing through it could delete a file
        // outside: leave it, it is no longer where we put it.
        if (kind !== 'tree' && !(await parentIsUnchanged(path))) {
          this.kinds.delete(path);
          continue;
        }
        if (kind === 'tree') await rm(path, { recursive: true, force: true });
        else if (kind === 'directory') {
          if ((await lstat(path)).isDirectory()) await rmdir(path);
        }
        else await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failures.push({ path, cause: error });
      }
      this.kinds.delete(path);
    }
    this.order.length = 0;
    if (failures.length > 0) throw new CleanupFailedError(failures);
  }
}
