// A small seeded generator for the bytes fast-check should not have to generate one by one:
// file contents of a few hundred KiB are described by (kind, length, seed) and filled here,
// so a case stays cheap to generate and shrinks by its length.

/** mulberry32: 32-bit state, good enough to fill test files and pick walk choices. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How a file's bytes look: compressible text, incompressible noise, zeros, or a short repeated pattern. */
export type ContentKind = 'text' | 'random' | 'zeros' | 'repeat';

/** A file's content, described rather than stored. */
export interface ContentSpec {
  kind: ContentKind;
  length: number;
  seed: number;
}

const WORDS = ['weight', 'layer', 'conv', 'bias', '{"shape":[1,3]}', 'float32', '\n', ' ', 'model', 'params'];

/** The bytes a {@link ContentSpec} describes, the same every time. */
export function fillContent(spec: ContentSpec): Buffer {
  const out = Buffer.alloc(spec.length);
  if (spec.kind === 'zeros' || spec.length === 0) return out;
  const next = mulberry32(spec.seed);
  if (spec.kind === 'random') {
    for (let i = 0; i + 4 <= spec.length; i += 4) out.writeUInt32LE((next() * 4294967296) >>> 0, i);
    for (let i = spec.length - (spec.length % 4); i < spec.length; i++) out[i] = (next() * 256) | 0;
    return out;
  }
  if (spec.kind === 'repeat') {
    const period = 1 + ((next() * 7) | 0);
    for (let i = 0; i < spec.length; i++) out[i] = 0x41 + (i % period);
    return out;
  }
  let at = 0;
  while (at < spec.length) {
    const word = WORDS[(next() * WORDS.length) | 0] ?? ' ';
    at += out.write(word, at, 'latin1');
  }
  return out;
}
