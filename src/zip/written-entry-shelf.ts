// yazl finds the next entry to write by scanning its entry list from the start on every pump,
// so a zip of n entries costs O(n²) time: 65,600 one-byte entries took 20 to 60 s, most of it
// in that scan. The entries already written are moved aside in batches as they pile up, and
// put back, in order, just before the zip ends: the central directory and the end record are
// built from the whole list. Only yazl's `entries` array and each entry's numeric `state` are
// touched; if a yazl release changes either, the shelf does nothing and yazl works as before.
import type yazl from 'yazl';

/** yazl's `Entry.FILE_DATA_DONE`: the entry's local header and data are written. */
const FILE_DATA_DONE = 3;
/** Written entries moved aside at once: enough to make the splice rare, small enough to keep the scan short. */
const BATCH = 512;

interface YazlEntry {
  state: unknown;
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
 * // after each entry: shelf.shelve();
 * shelf.restore(); // before zip.end()
 * ```
 */
export class WrittenEntryShelf {
  readonly #zip: YazlInternals;
  readonly #shelved: YazlEntry[][] = [];

  constructor(zip: yazl.ZipFile) {
    this.#zip = zip as unknown as YazlInternals;
  }

  /** Moves the finished entries at the head of yazl's list aside, once there are enough of them. */
  shelve(): void {
    const entries = this.#zip.entries;
    if (!Array.isArray(entries) || entries.length < BATCH) return;
    let written = 0;
    while (written < entries.length && isWritten(entries[written])) written++;
    if (written >= BATCH) this.#shelved.push(entries.splice(0, written) as YazlEntry[]);
  }

  /** Puts every shelved entry back in front, in the order yazl wrote them. Call before `end()`. */
  restore(): void {
    const entries = this.#zip.entries;
    if (this.#shelved.length === 0 || !Array.isArray(entries)) return;
    this.#zip.entries = [...this.#shelved.flat(), ...(entries as YazlEntry[])];
    this.#shelved.length = 0;
  }
}

function isWritten(entry: unknown): boolean {
  const state = (entry as YazlEntry | undefined)?.state;
  return typeof state === 'number' && state >= FILE_DATA_DONE;
}
