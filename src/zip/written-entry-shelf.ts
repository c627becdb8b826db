// yazl finds the next entry to write by scanning its entry list from the start on every pump,
// so a zip of n entries costs O(n²) time: 65,600 one-byte entries took 15 to 60 s, most of it
// in that scan. The entries already written are moved aside in batches as they pile up, and
// put back, in order, once every entry is written and before the zip ends: the central
// directory and the end record are built from the whole list.
//
// Only yazl's `entries` array, each entry's numeric `state` and the `FILE_DATA_DONE` constant
// on the entry's class are read; if a yazl release changes any of them, the shelf does nothing
// and yazl works as before. The list is only changed from a setImmediate callback, never while
// yazl's own code is on the stack, and never after `restore()`.
import type { Readable } from 'node:stream';
import type yazl from 'yazl';

/** Written entries moved aside at once: enough to make the splice rare, small enough to keep the scan short. */
const BATCH = 512;

interface YazlEntry {
  state: unknown;
  constructor: { FILE_DATA_DONE?: unknown };
}
interface YazlInternals {
  entries?: unknown;
}

/**
 * Keeps yazl's entry scan short by shelving the entries it has finished writing.
 *
 * @example
 * ```ts
 * const shelf = new WrittenEntryShelf(zip);
 * shelf.watch(zip.outputStream); // shelves as yazl writes
 * // after each zip.addBuffer(...): shelf.shelve();
 * await shelf.allWritten();
 * shelf.restore(); // then zip.end()
 * ```
 */
export class WrittenEntryShelf {
  readonly #zip: YazlInternals;
  readonly #shelved: YazlEntry[][] = [];
  #scheduled = false;
  #restored = false;
  #waiters: Array<() => void> = [];

  constructor(zip: yazl.ZipFile) {
    this.#zip = zip as unknown as YazlInternals;
  }

  /** Shelves now; call from outside yazl's own call stack (for instance after each entry is added). */
  shelve(): void {
    if (!this.#restored) this.#shelve();
  }

  /** Shelves (soon after) whenever yazl writes to `output`. */
  watch(output: Readable): void {
    output.on('data', () => this.#schedule());
  }

  /**
   * Resolves once every entry handed to yazl so far is written (at once if none is pending,
   * or if yazl's internals are not what the shelf expects).
   */
  allWritten(): Promise<void> {
    if (this.#everyWritten()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#schedule();
    });
  }

  /** Puts every shelved entry back in front, in the order yazl wrote them, and stops shelving. */
  restore(): void {
    this.#restored = true;
    const entries = this.#zip.entries;
    if (this.#shelved.length === 0 || !Array.isArray(entries)) return;
    this.#zip.entries = [...this.#shelved.flat(), ...(entries as YazlEntry[])];
    this.#shelved.length = 0;
  }

  #schedule(): void {
    if (this.#scheduled || this.#restored) return;
    this.#scheduled = true;
    // yazl sets an entry's state right after its last write: look once that code has returned.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#restored) return;
      this.#shelve();
      if (this.#waiters.length > 0 && this.#everyWritten()) for (const resolve of this.#waiters.splice(0)) resolve();
    });
  }

  #shelve(): void {
    const entries = this.#zip.entries;
    if (!Array.isArray(entries) || entries.length < BATCH) return;
    let written = 0;
    while (written < entries.length && isWritten(entries[written])) written++;
    if (written >= BATCH) this.#shelved.push(entries.splice(0, written) as YazlEntry[]);
  }

  /** Whether yazl has written every entry (it writes them in order, so: the last one). */
  #everyWritten(): boolean {
    const entries = this.#zip.entries;
    if (!Array.isArray(entries) || entries.length === 0 || doneState(entries[0]) === undefined) return true;
    return isWritten(entries[entries.length - 1]);
  }
}

/** yazl's `Entry.FILE_DATA_DONE`, read from the entry's own class. */
function doneState(entry: unknown): number | undefined {
  const done = (entry as YazlEntry | undefined)?.constructor?.FILE_DATA_DONE;
  return typeof done === 'number' ? done : undefined;
}

function isWritten(entry: unknown): boolean {
  const state = (entry as YazlEntry | undefined)?.state;
  const done = doneState(entry);
  return done !== undefined && typeof state === 'number' && state >= done;
}
