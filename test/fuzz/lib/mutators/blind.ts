// Blind mutations: they know nothing of the format. Cheap, and they reach the paths no one
// thought of (a flipped bit in a length, a cut in the middle of a header).
import { mulberry32 } from '../prng.js';
import { INTERESTING_BYTES, INTERESTING_U32, pick, splice, type Mutation, type MutatorTable } from './mutation.js';

function fill(length: number, seed: number, source: Buffer): Buffer {
  const style = seed % 4;
  if (style === 0) return Buffer.alloc(length);
  if (style === 1) return Buffer.alloc(length, 0xff);
  if (style === 2 && source.length > 0) {
    // A copy of another part of the input: plausible structure in the wrong place.
    const from = (seed >>> 2) % source.length;
    return Buffer.from(source.subarray(from, from + length));
  }
  const next = mulberry32(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (next() * 256) | 0;
  return out;
}

/** The blind mutators, by name. */
export const BLIND_MUTATORS: MutatorTable = {
  flipBit(input, m: Mutation) {
    if (input.length === 0) return input;
    const out = Buffer.from(input);
    const at = m.a % out.length;
    out[at] = (out[at] ?? 0) ^ (1 << m.b % 8);
    return out;
  },
  overwriteBytes(input, m) {
    if (input.length === 0) return input;
    const out = Buffer.from(input);
    const at = m.a % out.length;
    const count = 1 + (m.b % 8);
    for (let i = 0; i < count && at + i < out.length; i++) out[at + i] = pick(INTERESTING_BYTES, m.c + i);
    return out;
  },
  overwriteU32(input, m) {
    if (input.length < 4) return input;
    const out = Buffer.from(input);
    const at = m.a % (out.length - 3);
    const value = pick(INTERESTING_U32, m.b);
    if (m.c % 2 === 0) out.writeUInt32LE(value, at);
    else out.writeUInt32BE(value, at);
    return out;
  },
  truncate(input, m) {
    return input.subarray(0, m.a % (input.length + 1));
  },
  insertRange(input, m) {
    const at = m.a % (input.length + 1);
    return splice(input, at, at, fill(1 + (m.b % 1024), m.c, input));
  },
  deleteRange(input, m) {
    if (input.length === 0) return input;
    const at = m.a % input.length;
    return splice(input, at, Math.min(input.length, at + 1 + (m.b % 1024)));
  },
  duplicateRange(input, m) {
    if (input.length === 0) return input;
    const from = m.a % input.length;
    const copy = input.subarray(from, Math.min(input.length, from + 1 + (m.b % 2048)));
    const to = m.c % (input.length + 1);
    return splice(input, to, to, Buffer.from(copy));
  },
  swapRanges(input, m) {
    if (input.length < 2) return input;
    const length = 1 + (m.c % Math.max(1, Math.floor(input.length / 2)));
    const first = m.a % Math.max(1, input.length - 2 * length + 1);
    const second = first + length + (m.b % Math.max(1, input.length - first - 2 * length + 1));
    const out = Buffer.from(input);
    input.copy(out, first, second, second + length);
    input.copy(out, second, first, first + length);
    return out;
  },
};
