// Finds the records of a tar so structure-aware mutators can aim at fields. Tolerant: it stops
// at the first header it cannot read, since it also runs on already-mutated bytes.
// Offsets from POSIX ustar: name 0/100, mode 100/8, uid 108/8, gid 116/8, size 124/12,
// mtime 136/12, chksum 148/8, typeflag 156/1, linkname 157/100, magic 257/6, version 263/2,
// uname 265/32, gname 297/32, devmajor 329/8, devminor 337/8, prefix 345/155.

/** A field of a ustar header: offset and length. */
export const TAR_FIELDS = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/** One header block and the body that follows it. */
export interface TarRecord {
  /** Offset of the 512-byte header. */
  offset: number;
  /** Body size as declared. */
  size: number;
  /** Offset of the next header (body padded to 512). */
  end: number;
  /** The type flag character. */
  typeflag: string;
}

/** Reads a size field: octal text, or GNU base-256 (high bit of the first byte set). */
export function readTarNumber(block: Buffer, offset: number, length: number): number | undefined {
  const first = block[offset] ?? 0;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] ?? 0);
    return value;
  }
  const text = block.toString('latin1', offset, offset + length).replace(/[\0 ].*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

/** Rewrites the header checksum so a mutated header still passes the first check. */
export function fixTarChecksum(buffer: Buffer, offset: number): void {
  if (offset + 512 > buffer.length) return;
  buffer.fill(0x20, offset + 148, offset + 156);
  let sum = 0;
  for (let i = offset; i < offset + 512; i++) sum += buffer[i] ?? 0;
  buffer.write(`${sum.toString(8).padStart(6, '0')}\0 `, offset + 148, 'latin1');
}

/** Every readable record, in order, up to the end marker or the first unreadable header. */
export function tarRecords(buffer: Buffer): TarRecord[] {
  const records: TarRecord[] = [];
  let offset = 0;
  while (offset + 512 <= buffer.length) {
    const block = buffer.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) break;
    const size = readTarNumber(block, 124, 12);
    if (size === undefined || size > buffer.length) break;
    const end = offset + 512 + Math.ceil(size / 512) * 512;
    records.push({ offset, size, end, typeflag: String.fromCharCode(block[156] ?? 0) });
    offset = end;
  }
  return records;
}

/** One 512-byte ustar header with a correct checksum. */
export function tarHeader(fields: { name: string; size: number; typeflag: string; linkname?: string; mode?: number }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(`${(fields.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${fields.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('14540000000\0', 136, 'latin1');
  block.write(fields.typeflag, 156, 1, 'latin1');
  if (fields.linkname !== undefined) block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  fixTarChecksum(block, 0);
  return block;
}

/** A header and its body padded to a whole block. */
export function tarRecordBytes(fields: { name: string; typeflag: string; linkname?: string; mode?: number }, body: Buffer): Buffer {
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([tarHeader({ ...fields, size: body.length }), body, padding]);
}

/** A PAX extended header body: "<len> key=value\n" records, each length counting itself. */
export function paxRecords(records: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.from(
    records
      .map(([key, value]) => {
        const rest = ` ${key}=${value}\n`;
        let length = Buffer.byteLength(rest) + 1;
        while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
        return `${length}${rest}`;
      })
      .join(''),
  );
}
