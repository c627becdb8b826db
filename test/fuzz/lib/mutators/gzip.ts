// Structure-aware gzip mutations: header flags (with and without the fields they announce),
// the trailer's CRC32 and ISIZE, member boundaries (extra, empty, duplicated, cut, padded).
import { crc32, gzipSync } from 'node:zlib';
import { GZIP_FLAGS, gzipMembersOf, type GzipMember } from '../layout/gzip-layout.js';
import { INTERESTING_U32, pick, splice, type Mutation, type MutatorTable } from './mutation.js';

function member(input: Buffer, m: Mutation): GzipMember | undefined {
  const members = gzipMembersOf(input);
  return members.length === 0 ? undefined : pick(members, m.a);
}

function headerFields(flag: number, m: Mutation): Buffer {
  switch (flag) {
    case GZIP_FLAGS.FEXTRA: {
      const length = pick([0, 4, 100, 0xffff], m.c);
      const extra = Buffer.alloc(2 + Math.min(length, 200));
      extra.writeUInt16LE(length, 0);
      return extra;
    }
    case GZIP_FLAGS.FNAME:
      return Buffer.from(`${pick(['model.tar', '../../etc/passwd', 'x'.repeat(4096), ''], m.c)}\0`, 'latin1');
    case GZIP_FLAGS.FCOMMENT:
      return Buffer.from(`${pick(['comment', 'y'.repeat(70000)], m.c)}\0`, 'latin1');
    case GZIP_FLAGS.FHCRC:
      return Buffer.alloc(2, m.c & 0xff);
    default:
      return Buffer.alloc(0);
  }
}

/** The gzip mutators, by name. */
export const GZIP_MUTATORS: MutatorTable = {
  /** Sets a flag and inserts the field it announces (FHCRC with a wrong value half the time). */
  addHeaderField(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    const flag = pick([GZIP_FLAGS.FEXTRA, GZIP_FLAGS.FNAME, GZIP_FLAGS.FCOMMENT, GZIP_FLAGS.FHCRC], m.b);
    const out = Buffer.from(input);
    const flags = out[target.offset + 3] ?? 0;
    if (flags & flag) return input;
    out[target.offset + 3] = flags | flag;
    let field = headerFields(flag, m);
    if (flag === GZIP_FLAGS.FHCRC && m.c % 2 === 0) {
      field = Buffer.alloc(2);
      field.writeUInt16LE(crc32(out.subarray(target.offset, target.dataOffset)) & 0xffff);
    }
    return splice(out, target.dataOffset, target.dataOffset, field);
  },
  /** Sets flag bits without the fields (reserved bits included): the header now lies. */
  setFlagBits(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    const out = Buffer.from(input);
    out[target.offset + 3] = pick([0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xe0, 0xff], m.b);
    return out;
  },
  method(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    const out = Buffer.from(input);
    out[target.offset + 2] = pick([0, 7, 9, 0xff], m.b);
    return out;
  },
  isize(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    const out = Buffer.from(input);
    const actual = out.readUInt32LE(target.trailerOffset + 4);
    out.writeUInt32LE(pick([0, actual + 1, Math.max(0, actual - 1), ...INTERESTING_U32], m.b) >>> 0, target.trailerOffset + 4);
    return out;
  },
  crc(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    const out = Buffer.from(input);
    out.writeUInt32LE((out.readUInt32LE(target.trailerOffset) ^ (1 << m.b % 32)) >>> 0, target.trailerOffset);
    return out;
  },
  appendGarbage(input, m) {
    const tails = [Buffer.alloc(1 + (m.b % 600)), Buffer.from('trailing garbage'), Buffer.from([0x1f]), Buffer.from([0x1f, 0x8b]), Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3])];
    return Buffer.concat([input, pick(tails, m.c)]);
  },
  appendMember(input, m) {
    const payloads = [Buffer.alloc(0), Buffer.alloc(512), Buffer.alloc(1 + (m.b % 4096), 0x41)];
    return Buffer.concat([input, gzipSync(pick(payloads, m.c))]);
  },
  duplicateMember(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    return splice(input, target.end, target.end, Buffer.from(input.subarray(target.offset, target.end)));
  },
  dropMember(input, m) {
    const target = member(input, m);
    return target === undefined ? input : splice(input, target.offset, target.end);
  },
  cutMember(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    const cuts = [target.offset + 1, target.offset + 10, target.dataOffset + 1, target.trailerOffset, target.trailerOffset + 4, target.end - 1, Math.floor((target.dataOffset + target.trailerOffset) / 2)];
    return input.subarray(0, pick(cuts, m.b));
  },
  padBetweenMembers(input, m) {
    const target = member(input, m);
    if (target === undefined) return input;
    return splice(input, target.end, target.end, Buffer.alloc(1 + (m.b % 16)));
  },
};
