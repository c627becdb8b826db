// A set of strings, each with a number, kept in a few flat buffers instead of one JS string and
// one hash-table slot per member. repackage remembers every name it wrote (to refuse duplicates
// and to resolve hard links) and the extractor every path it created (to remove exactly those on
// failure), so with 100,000 entries a Set and a Map of strings held about 11 MB
// of long-lived JS objects; those survive every young-generation GC, so V8 grew both its young
// and its old generation for them, and peak RSS rose with the entry count (docs/performance.md,
// "Memory"). Here a member costs its UTF-8 bytes plus 24 bytes, in slabs and typed arrays
// outside the JS heap, and adding one allocates nothing but, now and then, a slab.

const EMPTY = -1;
const SLAB_BYTES = 256 * 1024;
const SLAB_SHIFT = 2 ** 32;

/**
 * An insert-only table of distinct strings, numbered 0, 1, 2… in the order added, each with one
 * integer value. Strings are compared by their UTF-8 bytes.
 *
 * @example
 * ```ts
 * const table = new StringTable();
 * table.add('a/b.txt', 7); // 0
 * table.indexOf('a/b.txt'); // 0
 * table.valueAt(0); // 7
 * ```
 */
export class StringTable {
  /** The members' bytes, in slabs that are filled and never copied (growing one would leave garbage). */
  readonly #slabs: Buffer[] = [Buffer.allocUnsafe(SLAB_BYTES)];
  /** Bytes used in the last slab. */
  #used = 0;
  /** Where member i's bytes are: slab index * 2^32 + offset in the slab. */
  #starts = new Float64Array(1024);
  #lengths = new Int32Array(1024);
  #values = new Int32Array(1024);
  #count = 0;
  /** Open addressing, linear probing: member index, or EMPTY. Kept at most half full. */
  #slots = new Int32Array(2048).fill(EMPTY);

  /** Members so far. */
  get size(): number {
    return this.#count;
  }

  /** The index of `text`, or -1 when it is not a member. */
  indexOf(text: string): number {
    const length = this.#stage(text);
    const slab = this.#slabs.at(-1)!;
    return this.#find(slab, this.#used, length, hashBytes(slab, this.#used, length)).index;
  }

  /** Adds `text` with `value`; returns its index, or -1 (and adds nothing) when it is already a member. */
  add(text: string, value = 0): number {
    const length = this.#stage(text);
    const slab = this.#slabs.at(-1)!;
    const start = this.#used;
    const { index, slot } = this.#find(slab, start, length, hashBytes(slab, start, length));
    if (index !== EMPTY) return -1;
    const added = this.#count++;
    if (added >= this.#values.length) this.#growMembers();
    this.#starts[added] = (this.#slabs.length - 1) * SLAB_SHIFT + start;
    this.#lengths[added] = length;
    this.#values[added] = value;
    this.#used = start + length;
    this.#slots[slot] = added;
    if (this.#count * 2 > this.#slots.length) this.#rehash();
    return added;
  }

  /** Adds `text` with `value`, or sets the value of `text` when it is a member; returns its index. */
  set(text: string, value: number): number {
    const added = this.add(text, value);
    if (added !== -1) return added;
    const index = this.indexOf(text);
    this.#values[index] = value;
    return index;
  }

  /** Member `index` as a string. */
  at(index: number): string {
    const { slab, offset } = this.#where(index);
    return slab.toString('utf8', offset, offset + this.#lengths[index]!);
  }

  /** The value stored with member `index`. */
  valueAt(index: number): number {
    return this.#values[index]!;
  }

  /** Sets the value of member `index`. */
  setValue(index: number, value: number): void {
    this.#values[index] = value;
  }

  #where(index: number): { slab: Buffer; offset: number } {
    const at = this.#starts[index]!;
    return { slab: this.#slabs[Math.floor(at / SLAB_SHIFT)]!, offset: at % SLAB_SHIFT };
  }

  /** Writes `text`'s UTF-8 bytes after the last member (not yet a member); returns their length. */
  #stage(text: string): number {
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    const room = text.length * 3;
    if (this.#used + room > this.#slabs.at(-1)!.length) {
      this.#slabs.push(Buffer.allocUnsafe(Math.max(SLAB_BYTES, room)));
      this.#used = 0;
    }
    return this.#slabs.at(-1)!.write(text, this.#used, 'utf8');
  }

  /** The member with these bytes and the slot it is in, or EMPTY and the slot it would take. */
  #find(bytes: Buffer, start: number, length: number, hash: number): { index: number; slot: number } {
    const mask = this.#slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const index = this.#slots[slot]!;
      if (index === EMPTY) return { index: EMPTY, slot };
      if (this.#lengths[index] !== length) continue;
      const member = this.#where(index);
      if (sameBytes(member.slab, member.offset, bytes, start, length)) return { index, slot };
    }
  }

  #growMembers(): void {
    const grow = <T extends Float64Array | Int32Array>(array: T, make: (n: number) => T): T => {
      const grown = make(array.length * 2);
      grown.set(array);
      return grown;
    };
    this.#starts = grow(this.#starts, (n) => new Float64Array(n));
    this.#lengths = grow(this.#lengths, (n) => new Int32Array(n));
    this.#values = grow(this.#values, (n) => new Int32Array(n));
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let index = 0; index < this.#count; index++) {
      const { slab, offset } = this.#where(index);
      let slot = hashBytes(slab, offset, this.#lengths[index]!) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = index;
    }
    this.#slots = slots;
  }
}

/** FNV-1a over `length` bytes from `start`. */
function hashBytes(bytes: Buffer, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = start, end = start + length; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

function sameBytes(a: Buffer, aStart: number, b: Buffer, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}
