// A minimal zip writer for hostile test archives: every field can be made to lie. Layout per
// PKWARE APPNOTE.TXT 6.3.x, sections 4.3.7 (local header), 4.3.12 (central header), 4.3.16 (EOCD).
import { crc32, deflateRawSync } from 'node:zlib';

/** One entry; every optional field overrides what an honest writer would put. */
export interface RawZipEntry {
  name: string;
  data?: Buffer | string;
  /** Name in the local header, when it should differ from the central directory's. */
  localName?: string;
  /** Extra field bytes (central and local). */
  extra?: Buffer;
  /** Unix mode, including the file-type bits (default: regular file 0644). */
  mode?: number;
  deflate?: boolean;
  /** Declared CRC-32 (default: the real one). */
  crc?: number;
  /** Declared uncompressed size (default: the real one). */
  uncompressedSize?: number;
  /** Point the central record at another entry's local header (index into the list). */
  localHeaderOf?: number;
}

/** The Info-ZIP Unicode Path extra field (0x7075) that renames an entry. */
export function unicodePathExtra(headerName: string, unicodeName: string): Buffer {
  const name = Buffer.from(unicodeName);
  const field = Buffer.alloc(4 + 5 + name.length);
  field.writeUInt16LE(0x7075, 0); // header ID
  field.writeUInt16LE(5 + name.length, 2); // data size
  field.writeUInt8(1, 4); // version
  field.writeUInt32LE(crc32(Buffer.from(headerName)) >>> 0, 5); // NameCRC32 of the header's name
  name.copy(field, 9); // UnicodeName
  return field;
}

/** Writes the zip. */
export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const offsets: number[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const prepared = entries.map((entry) => {
    const data = Buffer.from(entry.data ?? '');
    const stored = entry.deflate ? deflateRawSync(data) : data;
    return { entry, data, stored, crc: entry.crc ?? crc32(data) >>> 0, size: entry.uncompressedSize ?? data.length };
  });
  for (const { entry, stored, crc, size } of prepared) {
    const name = Buffer.from(entry.localName ?? entry.name);
    const extra = entry.extra ?? Buffer.alloc(0);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0); // local file header signature
    header.writeUInt16LE(20, 4); // version needed to extract
    header.writeUInt16LE(0x0800, 6); // general purpose bit flag: UTF-8 names
    header.writeUInt16LE(entry.deflate ? 8 : 0, 8); // compression method
    header.writeUInt16LE(0, 10); // last mod file time
    header.writeUInt16LE(0x5021, 12); // last mod file date (2020-01-01)
    header.writeUInt32LE(crc, 14); // crc-32
    header.writeUInt32LE(stored.length, 18); // compressed size
    header.writeUInt32LE(size, 22); // uncompressed size
    header.writeUInt16LE(name.length, 26); // file name length
    header.writeUInt16LE(extra.length, 28); // extra field length
    offsets.push(offset);
    const local = Buffer.concat([header, name, extra, stored]);
    locals.push(local);
    offset += local.length;
  }
  const centralStart = offset;
  prepared.forEach(({ entry, stored, crc, size }, i) => {
    const name = Buffer.from(entry.name);
    const extra = entry.extra ?? Buffer.alloc(0);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0); // central file header signature
    header.writeUInt16LE(0x031e, 4); // version made by: Unix, 3.0
    header.writeUInt16LE(20, 6); // version needed to extract
    header.writeUInt16LE(0x0800, 8); // general purpose bit flag
    header.writeUInt16LE(entry.deflate ? 8 : 0, 10); // compression method
    header.writeUInt16LE(0, 12); // last mod file time
    header.writeUInt16LE(0x5021, 14); // last mod file date
    header.writeUInt32LE(crc, 16); // crc-32
    header.writeUInt32LE(stored.length, 20); // compressed size
    header.writeUInt32LE(size, 24); // uncompressed size
    header.writeUInt16LE(name.length, 28); // file name length
    header.writeUInt16LE(extra.length, 30); // extra field length
    header.writeUInt16LE(0, 32); // file comment length
    header.writeUInt16LE(0, 34); // disk number start
    header.writeUInt16LE(0, 36); // internal file attributes
    header.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38); // external file attributes
    header.writeUInt32LE(offsets[entry.localHeaderOf ?? i] as number, 42); // relative offset of local header
    centrals.push(Buffer.concat([header, name, extra]));
  });
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central dir signature
  end.writeUInt16LE(entries.length, 8); // entries on this disk
  end.writeUInt16LE(entries.length, 10); // total entries
  end.writeUInt32LE(central.length, 12); // size of the central directory
  end.writeUInt32LE(centralStart, 16); // offset of start of central directory
  return Buffer.concat([...locals, central, end]);
}
