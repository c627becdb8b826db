// A mutation is data: an operation name and three numbers the operation reads as it likes
// (which record, which value, where). fast-check generates and shrinks the numbers, so a
// failing case shrinks towards the first record, the first value and the smallest range.
import fc from 'fast-check';

/** One edit of an archive's bytes. */
export interface Mutation {
  op: string;
  a: number;
  b: number;
  c: number;
}

/** Applies one mutation; returns the new bytes (the input is never modified). */
export type Mutator = (input: Buffer, m: Mutation) => Buffer;

/** A named table of mutators: the data a reader extends to add a mutation. */
export type MutatorTable = Readonly<Record<string, Mutator>>;

/** Picks `values[index mod length]`. */
export function pick<T>(values: readonly T[], index: number): T {
  return values[index % values.length] as T;
}

/**
 * Mutations drawn from `table`, between `min` and `max` of them.
 *
 * @example
 * ```ts
 * mutationsArbitrary(BLIND_MUTATORS, 0, 2);
 * ```
 */
export function mutationsArbitrary(table: MutatorTable, min: number, max: number): fc.Arbitrary<Mutation[]> {
  const ops = Object.keys(table);
  const mutation = fc.record({ op: fc.constantFrom(...ops), a: fc.nat(), b: fc.nat(), c: fc.nat() });
  return fc.array(mutation, { minLength: min, maxLength: max });
}

/** Applies `mutations` in order; an operation not in `table` is a programming error. */
export function applyMutations(input: Buffer, mutations: readonly Mutation[], table: MutatorTable): Buffer {
  let bytes = input;
  for (const m of mutations) {
    const mutator = table[m.op];
    if (mutator === undefined) throw new Error(`unknown mutation ${m.op}`);
    bytes = mutator(bytes, m);
  }
  return bytes;
}

/** Bytes that break parsers: zero, top bit, sign edges, ASCII digits and separators. */
export const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x30, 0x37, 0x38, 0x20, 0x2f, 0x2e, 0x5c, 0x0a];

/** 32-bit values that break size and offset arithmetic. */
export const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Replaces `[start, end)` of `input` with `insert`. */
export function splice(input: Buffer, start: number, end: number, insert: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([input.subarray(0, start), insert, input.subarray(end)]);
}
