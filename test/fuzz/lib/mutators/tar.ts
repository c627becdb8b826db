// Structure-aware tar mutations: each aims at one field of one record (which record: `a`,
// modulo the records found), writes a value from a table of troublemakers (`b`), and fixes
// the header checksum afterwards (unless breaking the checksum is the point), so the
// mutation reaches the code behind the checksum check.
import { fixTarChecksum, paxRecords, readTarNumber, TAR_FIELDS, tarRecordBytes, tarRecords, type TarRecord } from '../layout/tar-layout.js';
import { pick, splice, type Mutation, type MutatorTable } from './mutation.js';

/** Names that a safe extractor must refuse or confine. */
export const HOSTILE_NAMES = [
  '../escape',
  '../../../../../../tmp/escape',
  '/etc/escape',
  'a/../../escape',
  'a/./b/../../../escape',
  'C:\\escape',
  'C:escape',
  '\\\\server\\share\\escape',
  'a\\..\\..\\escape',
  '',
  '.',
  './',
  '..',
  'a//b',
  'nul\0byte',
  'x'.repeat(255 + 1),
  `${'d/'.repeat(600)}deep`,
  '\u202e\u0000',
  'ok/name',
];

/** Link targets that leave, or try to leave, the destination. */
export const HOSTILE_TARGETS = ['../../etc/passwd', '/etc/passwd', '..', '.', '', 'a/../../..', 'self', '../' + 'x'.repeat(300), 'C:\\Windows'];

function target(input: Buffer, m: Mutation): { records: TarRecord[]; record: TarRecord | undefined } {
  const records = tarRecords(input);
  return { records, record: records.length === 0 ? undefined : pick(records, m.a) };
}

function writeText(out: Buffer, at: number, length: number, text: string): void {
  out.fill(0, at, at + length);
  out.write(text, at, length, 'utf8');
}

function withField(input: Buffer, m: Mutation, edit: (out: Buffer, record: TarRecord, records: TarRecord[]) => void, keepChecksum = false): Buffer {
  const { records, record } = target(input, m);
  if (record === undefined) return input;
  const out = Buffer.from(input);
  edit(out, record, records);
  if (!keepChecksum) fixTarChecksum(out, record.offset);
  return out;
}

/** Base-256 (GNU) encoding of `value` in `length` bytes; negative values are two's complement. */
export function base256(value: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  let v = BigInt.asUintN(8 * length, value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0] = (out[0] ?? 0) | (value < 0n ? 0xff : 0x80);
  return out;
}

const SIZE_VALUES = (size: number): string[] => [
  '0',
  String(size + 1),
  String(Math.max(0, size - 1)),
  String(size + 512),
  String(size * 1000 + 1),
  '-1',
  '77777777777',
  '12x',
  ' ',
  '',
  '8',
  '99999999999',
];

const TYPE_FLAGS = ['0', '\0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'V', 'D', 'M', 'N', 'Z', 'A'];

const PAX_KEYS: ReadonlyArray<(size: number) => Array<[string, string]>> = [
  () => [['path', pick(HOSTILE_NAMES, 0)]],
  () => [['path', '/etc/pax-escape']],
  () => [['linkpath', '../../pax-link']],
  (size) => [['size', String(size + 1000)]],
  () => [['size', '-5']],
  () => [['size', '1e3']],
  () => [['size', '99999999999999999999']],
  () => [['mtime', 'NaN']],
  () => [['mtime', '-1e30']],
  () => [['path', 'x'.repeat(5000)]],
  () => [['path', '']],
  () => [['uid', '-1'], ['gid', 'abc']],
  () => [['GNU.sparse.name', 'sparse'], ['GNU.sparse.major', '1']],
  () => [['hdrcharset', 'BINARY'], ['path', 'b\u00e9']],
];

function paxHeaderFor(records: Buffer, global: boolean): Buffer {
  return tarRecordBytes({ name: 'PaxHeaders/fuzz', typeflag: global ? 'g' : 'x' }, records);
}

/** The tar mutators, by name. */
export const TAR_MUTATORS: MutatorTable = {
  size: (input, m) =>
    withField(input, m, (out, r) => {
      const [at, length] = TAR_FIELDS.size;
      const value = pick(SIZE_VALUES(r.size), m.b);
      writeText(out, r.offset + at, length, /^\d+$/.test(value) && m.c % 2 === 0 ? Number(value).toString(8).padStart(11, '0') : value);
    }),
  base256: (input, m) =>
    withField(input, m, (out, r) => {
      const fields = ['size', 'mtime', 'mode', 'uid'] as const;
      const field = pick(fields, m.c);
      const [at, length] = TAR_FIELDS[field];
      const current = BigInt(readTarNumber(out, r.offset + at, length) ?? 0);
      const values = [current, current + 1n, -1n, -current - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 80n];
      out.set(base256(pick(values, m.b), length), r.offset + at);
    }),
  checksum: (input, m) =>
    withField(
      input,
      m,
      (out, r) => {
        const [at] = TAR_FIELDS.chksum;
        const current = readTarNumber(out, r.offset + at, 8) ?? 0;
        const values = [String(current + 1).padStart(6, '0'), '      ', '99999999', '-0000001', (current - 256).toString(8), ''];
        writeText(out, r.offset + at, 8, pick(values, m.b));
      },
      true,
    ),
  typeflag: (input, m) =>
    withField(input, m, (out, r) => {
      out.write(pick(TYPE_FLAGS, m.b), r.offset + TAR_FIELDS.typeflag[0], 1, 'latin1');
    }),
  name: (input, m) =>
    withField(input, m, (out, r, records) => {
      const other = pick(records, m.c);
      const name = m.b % (HOSTILE_NAMES.length + 1) === HOSTILE_NAMES.length ? out.toString('utf8', other.offset, other.offset + 100).replace(/\0.*$/s, '') : pick(HOSTILE_NAMES, m.b);
      writeText(out, r.offset, 100, name);
      if (m.c % 3 === 0) writeText(out, r.offset + TAR_FIELDS.prefix[0], TAR_FIELDS.prefix[1], pick(['..', '/abs', 'p'.repeat(155), ''], m.c));
    }),
  linkname: (input, m) =>
    withField(input, m, (out, r, records) => {
      const other = pick(records, m.c);
      const otherName = out.toString('utf8', other.offset, other.offset + 100).replace(/\0.*$/s, '');
      const value = m.b % (HOSTILE_TARGETS.length + 1) === HOSTILE_TARGETS.length ? otherName : pick(HOSTILE_TARGETS, m.b);
      writeText(out, r.offset + TAR_FIELDS.linkname[0], 100, value);
      if (m.c % 2 === 0) out.write(pick(['1', '2'], m.c >>> 1), r.offset + TAR_FIELDS.typeflag[0], 1, 'latin1');
    }),
  magic: (input, m) =>
    withField(input, m, (out, r) => {
      writeText(out, r.offset + TAR_FIELDS.magic[0], 8, pick(['ustar  \0', 'ustar\x0000', '\0\0\0\0\0\0\0\0', 'USTAR\x0000'], m.b));
    }),
  paxRecord: (input, m) => {
    const { record } = target(input, m);
    const at = record?.offset ?? 0;
    const records = pick(PAX_KEYS, m.b)(record?.size ?? 0);
    return splice(input, at, at, paxHeaderFor(paxRecords(records), m.c % 5 === 0));
  },
  paxMalformed: (input, m) => {
    const { record } = target(input, m);
    const at = record?.offset ?? 0;
    const bodies = ['5 path=abc\n', '999999 path=x\n', '12 path\n', 'abc path=x\n', '0 =\n', '18 path=no-newline', '-1 path=x\n', '4294967296 path=x\n'];
    return splice(input, at, at, paxHeaderFor(Buffer.from(pick(bodies, m.b)), false));
  },
  gnuLongName: (input, m) => {
    const { record } = target(input, m);
    const at = record?.offset ?? 0;
    const name = Buffer.from(`${pick([...HOSTILE_NAMES, 'long/'.repeat(60) + 'name'], m.b)}\0`);
    return splice(input, at, at, tarRecordBytes({ name: '././@LongLink', typeflag: m.c % 2 === 0 ? 'L' : 'K' }, name));
  },
  hugeMetadata: (input, m) => {
    // A long-name or PAX record that declares far more than it holds: the reader must not allocate it.
    const { record } = target(input, m);
    const at = record?.offset ?? 0;
    const header = tarRecordBytes({ name: '././@LongLink', typeflag: pick(['L', 'x', 'K'], m.b) }, Buffer.alloc(0));
    header.write(pick([0x7fffffff, 0o77777777777, 2 * 1024 * 1024], m.c).toString(8).padStart(11, '0'), 124, 'latin1');
    fixTarChecksum(header, 0);
    return splice(input, at, at, header);
  },
  duplicateRecord: (input, m) => {
    const { records, record } = target(input, m);
    if (record === undefined) return input;
    const to = pick(records, m.b).end;
    return splice(input, to, to, Buffer.from(input.subarray(record.offset, record.end)));
  },
  swapRecords: (input, m) => {
    const records = tarRecords(input);
    if (records.length < 2) return input;
    const i = m.a % records.length;
    const j = m.b % records.length;
    const [first, second] = i < j ? [records[i], records[j]] : [records[j], records[i]];
    if (first === undefined || second === undefined || first === second) return input;
    return Buffer.concat([
      input.subarray(0, first.offset),
      input.subarray(second.offset, second.end),
      input.subarray(first.end, second.offset),
      input.subarray(first.offset, first.end),
      input.subarray(second.end),
    ]);
  },
  dropRecord: (input, m) => {
    const { record } = target(input, m);
    return record === undefined ? input : splice(input, record.offset, record.end);
  },
  cutAtRecord: (input, m) => {
    const { record } = target(input, m);
    if (record === undefined) return input;
    const cuts = [record.offset, record.offset + 256, record.offset + 512, record.end, record.offset + 512 + Math.floor(record.size / 2)];
    return input.subarray(0, Math.min(input.length, pick(cuts, m.b)));
  },
  dropEndMarker: (input) => {
    const records = tarRecords(input);
    const last = records[records.length - 1];
    return last === undefined ? input : input.subarray(0, last.end);
  },
  directoryWithBody: (input, m) =>
    withField(input, m, (out, r) => {
      out.write('5', r.offset + TAR_FIELDS.typeflag[0], 1, 'latin1');
      if (r.size === 0) writeText(out, r.offset + TAR_FIELDS.size[0], 12, '00000001000');
    }),
  deviceEntry: (input, m) =>
    withField(input, m, (out, r) => {
      out.write(pick(['3', '4', '6'], m.b), r.offset + TAR_FIELDS.typeflag[0], 1, 'latin1');
      writeText(out, r.offset + TAR_FIELDS.devmajor[0], 8, '0000001');
    }),
  setuidMode: (input, m) =>
    withField(input, m, (out, r) => {
      writeText(out, r.offset + TAR_FIELDS.mode[0], 8, pick(['0004755', '0002755', '0001777', '0007777', '0000000', '7777777', '-000001'], m.b));
    }),
};
