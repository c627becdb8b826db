import { StringTable } from './string-table.js';

const ABSENT = 0;
const PRESENT = 1;

/**
 * A set of strings with `has`, `add` and `delete`, kept in a {@link StringTable}: a member costs
 * its UTF-8 bytes plus 24 bytes outside the JS heap, not a string and a hash slot on it. A deleted
 * member's bytes stay (it is only marked absent), so memory grows with the distinct strings ever
 * added, as the extractor's lists of the files it wrote do anyway.
 *
 * @example
 * ```ts
 * const written = new PathSet();
 * written.add('/dest/a.txt');
 * written.has('/dest/a.txt'); // true
 * written.delete('/dest/a.txt');
 * ```
 */
export class PathSet {
  readonly #table = new StringTable();

  /** Whether `path` is a member. */
  has(path: string): boolean {
    const index = this.#table.indexOf(path);
    return index !== -1 && this.#table.valueAt(index) === PRESENT;
  }

  /** Adds `path` (again, if it was deleted). */
  add(path: string): void {
    this.#table.set(path, PRESENT);
  }

  /** Removes `path`; nothing happens when it is not a member. */
  delete(path: string): void {
    const index = this.#table.indexOf(path);
    if (index !== -1) this.#table.setValue(index, ABSENT);
  }
}
