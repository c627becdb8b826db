// Structure-aware zip mutations: local and central header fields, names, extra fields
// (Unicode Path, zip64, lying lengths), zip64 records, the end record, overlapping and
// duplicated entries. Edits that change the central directory's length rebuild its totals,
// so the mutation reaches the code behind the first consistency check.
import { crc32 } from 'node:zlib';
import { CENTRAL_FIELDS, EOCD_FIELDS, LOCAL_FIELDS, readField, writeField, ZIP64_EOCD_FIELDS, zipLayout, type ZipEntryLayout, type ZipLayout } from '../layout/zip-layout.js';
import { HOSTILE_NAMES } from './tar.js';
import { INTERESTING_U32, pick, splice, type Mutation, type MutatorTable } from './mutation.js';

function entryOf(input: Buffer, m: Mutation): { layout: ZipLayout; entry: ZipEntryLayout | undefined } {
  const layout = zipLayout(input);
  return { layout, entry: layout.entries.length === 0 ? undefined : pick(layout.entries, m.a) };
}

function values(current: number, others: readonly number[], m: Mutation): number {
  return pick([0, current + 1, Math.max(0, current - 1), current * 2 + 7, ...others, ...INTERESTING_U32], m.c);
}

/** Replaces the central directory with `records`, fixing counts, sizes and the zip64 locator. */
function rebuildCentral(input: Buffer, layout: ZipLayout, records: Buffer[]): Buffer {
  if (layout.eocd === undefined) return input;
  const oldEnd = layout.entries.reduce((end, e) => Math.max(end, e.central + e.centralLength), layout.cdOffset);
  const directory = Buffer.concat(records);
  const delta = directory.length - (oldEnd - layout.cdOffset);
  const out = splice(input, layout.cdOffset, oldEnd, directory);
  // A mutated zip may have its end record inside the old directory: then there is nothing to fix.
  const eocd = layout.eocd >= oldEnd ? layout.eocd + delta : layout.eocd;
  const count = records.length;
  if (readField(out, eocd + 10, 2) !== 0xffff) {
    writeField(out, eocd + 8, 2, count);
    writeField(out, eocd + 10, 2, count);
  }
  if (readField(out, eocd + 12, 4) !== 0xffffffff) writeField(out, eocd + 12, 4, directory.length);
  if (layout.zip64Eocd !== undefined && layout.zip64Locator !== undefined) {
    const z = layout.zip64Eocd >= oldEnd ? layout.zip64Eocd + delta : layout.zip64Eocd;
    writeField(out, z + 24, 8, count);
    writeField(out, z + 32, 8, count);
    writeField(out, z + 40, 8, directory.length);
    writeField(out, (layout.zip64Locator >= oldEnd ? layout.zip64Locator + delta : layout.zip64Locator) + 8, 8, z);
  }
  return out;
}

function centralRecords(input: Buffer, layout: ZipLayout): Buffer[] {
  return layout.entries.map((e) => Buffer.from(input.subarray(e.central, e.central + e.centralLength)));
}

/** Adds an extra field to central record `index`, keeping everything else consistent. */
function withCentralExtra(input: Buffer, layout: ZipLayout, index: number, extra: Buffer): Buffer {
  const records = centralRecords(input, layout);
  const record = records[index];
  if (record === undefined) return input;
  const nameLength = record.readUInt16LE(28);
  const extraLength = record.readUInt16LE(30);
  if (extraLength + extra.length > 0xffff) return input;
  records[index] = splice(record, 46 + nameLength + extraLength, 46 + nameLength + extraLength, extra);
  records[index]!.writeUInt16LE(extraLength + extra.length, 30);
  return rebuildCentral(input, layout, records);
}

function extraField(id: number, data: Buffer, statedLength = data.length): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(id, 0);
  header.writeUInt16LE(statedLength & 0xffff, 2);
  return Buffer.concat([header, data]);
}

const NAME_EDITS: ReadonlyArray<(name: Buffer) => Buffer> = [
  (n) => Buffer.concat([Buffer.from('../'), n.subarray(3)]),
  (n) => Buffer.concat([Buffer.from('/'), n.subarray(1)]),
  (n) => Buffer.concat([Buffer.from('C:'), n.subarray(2)]),
  (n) => Buffer.concat([n.subarray(0, n.length - 1), Buffer.from('\\')]),
  (n) => Buffer.concat([n.subarray(0, Math.floor(n.length / 2)), Buffer.from([0]), n.subarray(Math.floor(n.length / 2) + 1)]),
  (n) => Buffer.concat([n.subarray(0, n.length - 1), Buffer.from('/')]),
  (n) => Buffer.from(n).fill(0x2e),
  (n) => Buffer.concat([n.subarray(0, n.length - 1), Buffer.from([0xff])]),
];

/** The zip mutators, by name. */
export const ZIP_MUTATORS: MutatorTable = {
  localField(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const [at, width] = pick(Object.values(LOCAL_FIELDS), m.b);
    const current = readField(input, entry.local + at, width) ?? 0;
    const out = Buffer.from(input);
    writeField(out, entry.local + at, width, values(current, layout.entries.map((e) => e.local), m));
    return out;
  },
  centralField(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const [at, width] = pick(Object.values(CENTRAL_FIELDS), m.b);
    const current = readField(input, entry.central + at, width) ?? 0;
    const out = Buffer.from(input);
    writeField(out, entry.central + at, width, values(current, [layout.cdOffset, ...layout.entries.map((e) => e.local)], m));
    return out;
  },
  /** The same lie in both headers: sizes or CRC agree with each other, not with the data. */
  consistentLie(input, m) {
    const { entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const field = pick(['crc32', 'compressedSize', 'uncompressedSize'] as const, m.b);
    const out = Buffer.from(input);
    const current = readField(out, entry.central + CENTRAL_FIELDS[field][0], 4) ?? 0;
    if (current === 0xffffffff) return input;
    const value = field === 'crc32' ? (current ^ (1 << m.c % 32)) >>> 0 : pick([0, current + 1, Math.max(0, current - 1), current * 1000 + 1, 0xfffffffe], m.c);
    writeField(out, entry.central + CENTRAL_FIELDS[field][0], 4, value);
    writeField(out, entry.local + LOCAL_FIELDS[field][0], 4, value);
    return out;
  },
  name(input, m) {
    const { entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const out = Buffer.from(input);
    const length = out.readUInt16LE(entry.central + 28);
    if (length === 0) return input;
    const edited = pick(NAME_EDITS, m.b)(out.subarray(entry.central + 46, entry.central + 46 + length)).subarray(0, length);
    const where = m.c % 3; // 0: both, 1: central only, 2: local only
    if (where !== 2) edited.copy(out, entry.central + 46);
    if (where !== 1 && entry.local + 30 + length <= out.length && out.readUInt16LE(entry.local + 26) === length) edited.copy(out, entry.local + 30);
    return out;
  },
  unicodePathExtra(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const index = layout.entries.indexOf(entry);
    const nameLength = input.readUInt16LE(entry.central + 28);
    const raw = input.subarray(entry.central + 46, entry.central + 46 + nameLength);
    const head = Buffer.alloc(5);
    head[0] = 1;
    // A matching CRC of the header name makes readers believe the Unicode name; a wrong one must be ignored.
    head.writeUInt32LE(m.c % 2 === 0 ? crc32(raw) : (crc32(raw) ^ 1) >>> 0, 1);
    return withCentralExtra(input, layout, index, extraField(0x7075, Buffer.concat([head, Buffer.from(pick(HOSTILE_NAMES, m.b))])));
  },
  zip64Extra(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const index = layout.entries.indexOf(entry);
    const data = Buffer.alloc(pick([0, 8, 16, 24, 28], m.b));
    for (let at = 0; at + 8 <= data.length; at += 8) data.writeBigUInt64LE(pick([0n, 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n], m.c + at), at);
    let out = withCentralExtra(input, layout, index, extraField(0x0001, data));
    if (m.c % 2 === 0) {
      // Point the 32-bit fields at the zip64 extra so its values are used.
      const again = zipLayout(out).entries[index];
      if (again !== undefined) for (const field of ['compressedSize', 'uncompressedSize', 'localOffset'] as const) writeField(out, again.central + CENTRAL_FIELDS[field][0], 4, 0xffffffff);
    }
    return out;
  },
  lyingExtraLength(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    return withCentralExtra(input, layout, layout.entries.indexOf(entry), extraField(pick([0x7075, 0x0001, 0x5455, 0xcafe], m.c), Buffer.alloc(4), pick([0xffff, 5, 3, 100], m.b)));
  },
  eocdField(input, m) {
    const layout = zipLayout(input);
    if (layout.eocd === undefined) return input;
    const [at, width] = pick(Object.values(EOCD_FIELDS), m.b);
    const out = Buffer.from(input);
    writeField(out, layout.eocd + at, width, values(readField(out, layout.eocd + at, width) ?? 0, [layout.cdOffset], m));
    return out;
  },
  zip64EocdField(input, m) {
    const layout = zipLayout(input);
    const out = Buffer.from(input);
    if (layout.zip64Eocd === undefined) {
      if (layout.zip64Locator === undefined) return input;
      writeField(out, layout.zip64Locator + 8, 8, pick([0, out.length, 2 ** 40, layout.cdOffset], m.c));
      return out;
    }
    const [at, width] = pick(Object.values(ZIP64_EOCD_FIELDS), m.b);
    const current = readField(out, layout.zip64Eocd + at, width) ?? 0;
    writeField(out, layout.zip64Eocd + at, width, pick([0, current + 1, Math.max(0, current - 1), 2 ** 32, 2 ** 53 - 1, 100_001, out.length], m.c));
    return out;
  },
  /** Two central records pointing at one local header: the overlapping-entry zip bomb. */
  overlap(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const other = pick(layout.entries, m.b);
    const out = Buffer.from(input);
    writeField(out, entry.central + CENTRAL_FIELDS.localOffset[0], 4, other.local + (m.c % 2 === 0 ? 0 : 1));
    return out;
  },
  duplicateCentral(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const records = centralRecords(input, layout);
    const copies = 1 + (m.c % 3);
    const at = m.b % (records.length + 1);
    for (let i = 0; i < copies; i++) records.splice(at, 0, Buffer.from(input.subarray(entry.central, entry.central + entry.centralLength)));
    return rebuildCentral(input, layout, records);
  },
  swapCentral(input, m) {
    const layout = zipLayout(input);
    const records = centralRecords(input, layout);
    if (records.length < 2) return input;
    const i = m.a % records.length;
    const j = m.b % records.length;
    [records[i], records[j]] = [records[j]!, records[i]!];
    return rebuildCentral(input, layout, records);
  },
  dropCentral(input, m) {
    const { layout, entry } = entryOf(input, m);
    if (entry === undefined) return input;
    return rebuildCentral(input, layout, centralRecords(input, layout).filter((_, i) => i !== layout.entries.indexOf(entry)));
  },
  dataDescriptorFlag(input, m) {
    const { entry } = entryOf(input, m);
    if (entry === undefined) return input;
    const out = Buffer.from(input);
    const where = m.b % 3;
    if (where !== 1) writeField(out, entry.local + 6, 2, (readField(out, entry.local + 6, 2) ?? 0) | 0x08);
    if (where !== 2) writeField(out, entry.central + 8, 2, (readField(out, entry.central + 8, 2) ?? 0) | 0x08);
    if (m.c % 2 === 0) for (const f of ['crc32', 'compressedSize', 'uncompressedSize'] as const) writeField(out, entry.local + LOCAL_FIELDS[f][0], 4, 0);
    return out;
  },
  comment(input, m) {
    const layout = zipLayout(input);
    if (layout.eocd === undefined) return input;
    // A second, fake end record in the comment, or a comment length that runs past the end.
    const fake = Buffer.from(input.subarray(layout.eocd, layout.eocd + 22));
    writeField(fake, 16, 4, pick([0, layout.cdOffset + 1, 0xffffffff], m.b));
    writeField(fake, 20, 2, 0);
    const comments = [fake, Buffer.from('comment'), Buffer.alloc(0)];
    const body = pick(comments, m.c);
    const out = Buffer.concat([input.subarray(0, layout.eocd + 20), Buffer.alloc(2), body]);
    out.writeUInt16LE(m.c % 4 === 3 ? body.length + 10 : body.length, layout.eocd + 20);
    return out;
  },
  cutCentral(input, m) {
    const layout = zipLayout(input);
    if (layout.eocd === undefined) return input;
    const cut = layout.cdOffset + (m.b % Math.max(1, layout.eocd + 22 - layout.cdOffset));
    return input.subarray(0, Math.min(cut, input.length));
  },
  prependBytes(input, m) {
    // Self-extracting style: bytes before the first local header shift every offset.
    return Buffer.concat([Buffer.alloc(1 + (m.b % 64), m.c & 0xff), input]);
  },
};
