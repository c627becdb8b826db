import { lstat, realpath, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StringTable } from '../../compact/string-table.js';
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

/** Kinds as the numbers stored beside each path; 0 is "not ours (any more)". */
const KIND_CODES: readonly CreatedKind[] = ['file', 'directory', 'symlink', 'hardlink', 'tree'];
const NOT_OURS = 0;
const codeOf = (kind: CreatedKind): number => KIND_CODES.indexOf(kind) + 1;

/**
 * Everything one extraction created, in order, so a failure can remove exactly that and
 * nothing else: files that were in the destination before are never in this list.
 *
 * The paths are kept in a {@link StringTable} (UTF-8 slabs and typed arrays), not as an array of
 * objects and a Map of strings: those were about 250 bytes of long-lived heap a file, 25 MB for an
 * archive of 100,000 files, which kept V8's old generation growing (docs/performance.md, "Memory").
 *
 * @example
 * ```ts
 * const created = new CreatedPaths();
 * created.add('/dest/a', 'directory');
 * await created.rollback();
 * ```
 */
export class CreatedPaths {
  readonly #paths = new StringTable();
  /** Member indexes in the order created; a path created again after it was forgotten appears twice. */
  #order = new Int32Array(1024);
  #count = 0;

  /** Records a path this call created. */
  add(path: string, kind: CreatedKind): void {
    const index = this.#paths.set(path, codeOf(kind));
    if (this.#count === this.#order.length) {
      const grown = new Int32Array(this.#order.length * 2);
      grown.set(this.#order);
      this.#order = grown;
    }
    this.#order[this.#count++] = index;
  }

  /** Forgets a path (it was replaced or removed by us). */
  forget(path: string): void {
    const index = this.#paths.indexOf(path);
    if (index !== -1) this.#paths.setValue(index, NOT_OURS);
  }

  /** What this call created at `path`, if anything. */
  kindOf(path: string): CreatedKind | undefined {
    const index = this.#paths.indexOf(path);
    return index === -1 ? undefined : KIND_CODES[this.#paths.valueAt(index) - 1];
  }

  /**
   * Removes everything recorded, newest first. Already-gone paths (a cleanup callback deleted
   * them) are fine. Throws {@link CleanupFailedError} listing what could not be removed.
   */
  async rollback(): Promise<void> {
    const failures: CleanupFailure[] = [];
    for (let i = this.#count - 1; i >= 0; i--) {
      const index = this.#order[i]!;
      const kind = KIND_CODES[this.#paths.valueAt(index) - 1];
      // Forgotten, or already removed as a later (newer) record of the same path.
      if (kind === undefined) continue;
      const path = this.#paths.at(index);
      this.#paths.setValue(index, NOT_OURS);
      try {
        // Entries are recorded under the destination's real path. If a folder on the way has
        // since become a link (something raced us), removing through it could delete a file
        // outside: leave it, it is no longer where we put it.
        if (kind !== 'tree' && !(await parentIsUnchanged(path))) continue;
        if (kind === 'tree') await rm(path, { recursive: true, force: true });
        else if (kind === 'directory') {
          if ((await lstat(path)).isDirectory()) await rmdir(path);
        }
        else await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failures.push({ path, cause: error });
      }
    }
    this.#count = 0;
    if (failures.length > 0) throw new CleanupFailedError(failures);
  }
}
