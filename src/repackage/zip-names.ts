// What repackage must remember of every entry it wrote: the names taken in the zip (two entries
// must never share one) and where each file of the archive went (a later hard link names it).
// Both are kept in compact string tables, so holding them costs bytes, not JS objects
// (string-table.ts says why that matters for memory).
import { ExtractionError } from '../errors/index.js';
import type { IteratedEntry } from '../extract/entry-stream.js';
import { StringTable } from '../compact/string-table.js';

/** In #files: the file was left out of the zip. */
const LEFT_OUT = -1;
/** In #files: the file's latest copy went in under its own path; see #taken. */
const SEE_TAKEN = -2;
/** In #taken: a file of the archive went in under this, its own path. */
const OWN_PATH_FILE = 1;

/**
 * The names already in the zip, and for each file of the archive its zip name, or none when it
 * was left out.
 *
 * @example
 * ```ts
 * const names = new ZipNames();
 * names.wrote('model/w.bin', names.claim('stage/model/w.bin'));
 * names.claim('stage/model/w.bin'); // throws ExtractionError DUPLICATE_ENTRY
 * ```
 */
export class ZipNames {
  /** Zip names; a folder's with its trailing `/`. */
  readonly #taken = new StringTable();
  /**
   * Archive paths of files that went in under another name (rename) or were left out, each with
   * the index of its zip name in #taken, LEFT_OUT or SEE_TAKEN. A file under its own path (no
   * rename: the usual case) is only marked in #taken, so its path is stored once.
   */
  readonly #files = new StringTable();

  /** Claims `name` for an entry; returns its index. Throws when an earlier entry has it. */
  claim(name: string): number {
    const index = this.#taken.add(name);
    if (index === -1) {
      throw new ExtractionError(`two entries would be written to the zip as ${JSON.stringify(name)}`, {
        reason: 'DUPLICATE_ENTRY',
        entryPath: name,
        suggestion: 'make rename() map each entry to a distinct name, or drop one with filter',
      });
    }
    return index;
  }

  /** Claims a folder name; false when the folder is already in the zip. */
  claimFolder(name: string): boolean {
    return this.#taken.add(`${name}/`) !== -1;
  }

  /** The archive's file at `archivePath` went into the zip under the name {@link claim} numbered `claimed`. */
  wrote(archivePath: string, claimed: number): void {
    if (this.#taken.at(claimed) !== archivePath) return this.#record(archivePath, claimed);
    this.#taken.setValue(claimed, OWN_PATH_FILE);
    const earlier = this.#files.indexOf(archivePath);
    if (earlier !== -1) this.#files.setValue(earlier, SEE_TAKEN);
  }

  /** The archive's file at `archivePath` was left out of the zip. */
  leftOut(archivePath: string): void {
    this.#record(archivePath, LEFT_OUT);
  }

  /**
   * The zip name of the file a hard link names (resolved by the policy), `null` when that file
   * was left out. A link to anything that is not a file earlier in the archive is refused, as
   * when extracting.
   */
  fileFor(entry: IteratedEntry): string | null {
    const target = entry.checked.resolvedTarget ?? '';
    const index = this.#files.indexOf(target);
    const claimed = index === -1 ? SEE_TAKEN : this.#files.valueAt(index);
    if (claimed !== SEE_TAKEN) return claimed === LEFT_OUT ? null : this.#taken.at(claimed);
    const own = this.#taken.indexOf(target);
    if (own === -1 || this.#taken.valueAt(own) !== OWN_PATH_FILE) {
      throw new ExtractionError(`hard link target ${JSON.stringify(target)} is not a file earlier in this archive`, {
        reason: 'LINK_ESCAPE',
        entryPath: entry.path,
        suggestion: 'a hard link can only name a regular file that comes before it in the archive',
      });
    }
    return target;
  }

  /** A path the archive holds twice refers to its last copy, as when extracting. */
  #record(archivePath: string, value: number): void {
    if (this.#files.add(archivePath, value) === -1) this.#files.setValue(this.#files.indexOf(archivePath), value);
  }
}
