// The central directory, kept as the bytes it will be written as. Each entry's header is encoded
// the moment the entry is done and copied into large slabs, so a zip of 100,000 entries holds
// about 10 MiB of plain bytes here (under 100 bytes an entry for short names) and no per-entry
// object, source buffer or stream: memory grows with the names, not with the content.
import { centralDirectoryHeader, type ZipEntryRecord } from './zip-records.js';

const SLAB_BYTES = 256 * 1024;

/**
 * An append-only central directory.
 *
 * @example
 * ```ts
 * const directory = new CentralDirectory();
 * directory.add(record); // after the entry's data is written
 * for (const slab of directory.slabs()) out.write(slab);
 * ```
 */
export class CentralDirectory {
  readonly #slabs: Buffer[] = [];
  #current = Buffer.allocUnsafe(SLAB_BYTES);
  #used = 0;
  #entries = 0;
  #bytes = 0;

  /** Entries added. */
  get entries(): number {
    return this.#entries;
  }

  /** Bytes the directory will take in the zip. */
  get byteLength(): number {
    return this.#bytes;
  }

  /** Encodes and keeps the central directory header of a finished entry. */
  add(entry: ZipEntryRecord): void {
    const header = centralDirectoryHeader(entry);
    if (header.length > this.#current.length - this.#used) {
      this.#seal();
      if (header.length > this.#current.length) this.#current = Buffer.allocUnsafe(header.length);
    }
    header.copy(this.#current, this.#used);
    this.#used += header.length;
    this.#entries++;
    this.#bytes += header.length;
  }

  /** The directory's bytes, in entry order. Call once, when the zip ends. */
  slabs(): Buffer[] {
    this.#seal();
    return this.#slabs;
  }

  #seal(): void {
    if (this.#used > 0) this.#slabs.push(this.#current.subarray(0, this.#used));
    this.#current = Buffer.allocUnsafe(SLAB_BYTES);
    this.#used = 0;
  }
}
