// The zip's binary records, as APPNOTE.TXT 6.3.10 lays them out (section numbers in brackets).
// Pure functions from an entry's fields to bytes: no streams, no state, so every offset can be
// checked against the spec and tested without a zip.

/** What the records of one entry are built from. */
export interface ZipEntryRecord {
  /** Entry name, UTF-8 (a directory's ends with `/`). */
  name: Buffer;
  /** 0 = stored, 8 = deflated. */
  method: 0 | 8;
  /** Unix mode with type bits, written to the external attributes. */
  mode: number;
  /** MS-DOS time and date of the modification time. */
  dosTime: number;
  dosDate: number;
  /** Seconds since the epoch for the extended timestamp field; `undefined` leaves the field out. */
  unixTime: number | undefined;
  /** True when CRC and sizes follow the data in a data descriptor (streamed entries). */
  hasDataDescriptor: boolean;
  /** True when the entry's records carry ZIP64 fields. */
  zip64: boolean;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the local header from the start of the zip. */
  localHeaderOffset: number;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const END_SIGNATURE = 0x06054b50;

/** [4.4.2] Unix (3) in the high byte, spec version 6.3 (63) in the low byte. */
const VERSION_MADE_BY = (3 << 8) | 63;
/** [4.4.3] 2.0 for deflate and folders, 4.5 for ZIP64. */
const VERSION_NEEDED = 20;
const VERSION_NEEDED_ZIP64 = 45;
/** [4.4.4] bit 3: CRC and sizes are in the data descriptor; bit 11: the name is UTF-8. */
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;

/** Above this, a 32-bit field holds 0xFFFFFFFF and the value goes in the ZIP64 extra field. */
export const ZIP32_LIMIT = 0xfffffffe;
/** Entries the 16-bit counts of the end record can hold. */
export const ZIP32_MAX_ENTRIES = 0xfffe;

/** Fixed bytes of a local header, before name and extra field [4.3.7]. */
export const LOCAL_HEADER_BYTES = 30;
/** Fixed bytes of a central directory header, before name, extra and comment [4.3.12]. */
export const CENTRAL_HEADER_BYTES = 46;

/** [4.4.6] MS-DOS date and time, in local time as every unzipper reads them; seconds are halved. */
export function dosDateTime(date: Date): { dosDate: number; dosTime: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  const dosDate = ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  const dosTime = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
  return { dosDate, dosTime };
}

function flags(entry: ZipEntryRecord): number {
  return FLAG_UTF8 | (entry.hasDataDescriptor ? FLAG_DATA_DESCRIPTOR : 0);
}

/** [4.5.7] Info-ZIP extended timestamp (0x5455) with the modification time only. */
function extendedTimestamp(unixTime: number): Buffer {
  const field = Buffer.allocUnsafe(9);
  field.writeUInt16LE(0x5455, 0); // header ID
  field.writeUInt16LE(5, 2); // data size
  field.writeUInt8(1, 4); // flags: mtime present
  field.writeUInt32LE(unixTime >>> 0, 5); // mtime
  return field;
}

/** [4.5.3] ZIP64 extended information (0x0001) with the given 64-bit values, in spec order. */
function zip64Extra(values: readonly number[]): Buffer {
  const field = Buffer.allocUnsafe(4 + 8 * values.length);
  field.writeUInt16LE(0x0001, 0); // header ID
  field.writeUInt16LE(8 * values.length, 2); // data size
  values.forEach((value, i) => field.writeBigUInt64LE(BigInt(value), 4 + 8 * i));
  return field;
}

/**
 * [4.3.7] The local file header. With a data descriptor, CRC and sizes are zero here (and a
 * ZIP64 entry reserves its 64-bit sizes as zeros, so readers know the descriptor is 64-bit).
 */
export function localFileHeader(entry: ZipEntryRecord): Buffer {
  const known = !entry.hasDataDescriptor;
  const extras: Buffer[] = [];
  if (entry.zip64) extras.push(zip64Extra(known ? [entry.uncompressedSize, entry.compressedSize] : [0, 0]));
  if (entry.unixTime !== undefined) extras.push(extendedTimestamp(entry.unixTime));
  const extraLength = extras.reduce((sum, extra) => sum + extra.length, 0);
  const header = Buffer.allocUnsafe(LOCAL_HEADER_BYTES + entry.name.length + extraLength);
  header.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0); // local file header signature
  header.writeUInt16LE(entry.zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 4); // version needed to extract
  header.writeUInt16LE(flags(entry), 6); // general purpose bit flag
  header.writeUInt16LE(entry.method, 8); // compression method
  header.writeUInt16LE(entry.dosTime, 10); // last mod file time
  header.writeUInt16LE(entry.dosDate, 12); // last mod file date
  header.writeUInt32LE(known ? entry.crc32 : 0, 14); // crc-32
  header.writeUInt32LE(entry.zip64 ? 0xffffffff : known ? entry.compressedSize : 0, 18); // compressed size
  header.writeUInt32LE(entry.zip64 ? 0xffffffff : known ? entry.uncompressedSize : 0, 22); // uncompressed size
  header.writeUInt16LE(entry.name.length, 26); // file name length
  header.writeUInt16LE(extraLength, 28); // extra field length
  entry.name.copy(header, LOCAL_HEADER_BYTES);
  let at = LOCAL_HEADER_BYTES + entry.name.length;
  for (const extra of extras) at += extra.copy(header, at);
  return header;
}

/** [4.3.9] The data descriptor after a streamed entry's data; 64-bit sizes for a ZIP64 entry. */
export function dataDescriptor(entry: ZipEntryRecord): Buffer {
  const descriptor = Buffer.allocUnsafe(entry.zip64 ? 24 : 16);
  descriptor.writeUInt32LE(DATA_DESCRIPTOR_SIGNATURE, 0); // optional signature, written as most tools do
  descriptor.writeUInt32LE(entry.crc32, 4); // crc-32
  if (entry.zip64) {
    descriptor.writeBigUInt64LE(BigInt(entry.compressedSize), 8); // compressed size
    descriptor.writeBigUInt64LE(BigInt(entry.uncompressedSize), 16); // uncompressed size
  } else {
    descriptor.writeUInt32LE(entry.compressedSize, 8); // compressed size
    descriptor.writeUInt32LE(entry.uncompressedSize, 12); // uncompressed size
  }
  return descriptor;
}

/** Whether the central directory must carry this entry's sizes and offset in a ZIP64 field. */
function needsZip64InDirectory(entry: ZipEntryRecord): boolean {
  return entry.zip64 || entry.compressedSize > ZIP32_LIMIT || entry.uncompressedSize > ZIP32_LIMIT || entry.localHeaderOffset > ZIP32_LIMIT;
}

/**
 * [4.3.12] The central directory header. A ZIP64 entry sets all three 32-bit fields to
 * 0xFFFFFFFF and carries the three values in its ZIP64 field.
 */
export function centralDirectoryHeader(entry: ZipEntryRecord): Buffer {
  const zip64 = needsZip64InDirectory(entry);
  const extras: Buffer[] = [];
  if (zip64) extras.push(zip64Extra([entry.uncompressedSize, entry.compressedSize, entry.localHeaderOffset]));
  if (entry.unixTime !== undefined) extras.push(extendedTimestamp(entry.unixTime));
  const extraLength = extras.reduce((sum, extra) => sum + extra.length, 0);
  const header = Buffer.allocUnsafe(CENTRAL_HEADER_BYTES + entry.name.length + extraLength);
  const isDirectory = (entry.mode & 0o170000) === 0o040000;
  header.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0); // central file header signature
  header.writeUInt16LE(VERSION_MADE_BY, 4); // version made by
  header.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 6); // version needed to extract
  header.writeUInt16LE(flags(entry), 8); // general purpose bit flag
  header.writeUInt16LE(entry.method, 10); // compression method
  header.writeUInt16LE(entry.dosTime, 12); // last mod file time
  header.writeUInt16LE(entry.dosDate, 14); // last mod file date
  header.writeUInt32LE(entry.crc32, 16); // crc-32
  header.writeUInt32LE(zip64 ? 0xffffffff : entry.compressedSize, 20); // compressed size
  header.writeUInt32LE(zip64 ? 0xffffffff : entry.uncompressedSize, 24); // uncompressed size
  header.writeUInt16LE(entry.name.length, 28); // file name length
  header.writeUInt16LE(extraLength, 30); // extra field length
  header.writeUInt16LE(0, 32); // file comment length
  header.writeUInt16LE(0, 34); // disk number start
  header.writeUInt16LE(0, 36); // internal file attributes
  // External attributes: the Unix mode in the high 16 bits, and the MS-DOS directory bit.
  header.writeUInt32LE(((entry.mode << 16) | (isDirectory ? 0x10 : 0)) >>> 0, 38);
  header.writeUInt32LE(zip64 ? 0xffffffff : entry.localHeaderOffset, 42); // relative offset of local header
  entry.name.copy(header, CENTRAL_HEADER_BYTES);
  let at = CENTRAL_HEADER_BYTES + entry.name.length;
  for (const extra of extras) at += extra.copy(header, at);
  return header;
}

/** Where the central directory is, for the end records. */
export interface CentralDirectoryPlacement {
  entries: number;
  offset: number;
  size: number;
  /** Write the ZIP64 end records even when the figures fit in 32 bits. */
  forceZip64: boolean;
}

/**
 * [4.3.14-4.3.16] The end records: the ZIP64 end of central directory record and its locator
 * when any figure overflows (or when forced), then the classic end record, whose overflowing
 * fields hold their maximum so readers look for the ZIP64 record.
 */
export function endOfCentralDirectory(placement: CentralDirectoryPlacement): Buffer {
  const { entries, offset, size } = placement;
  const zip64 = placement.forceZip64 || entries > ZIP32_MAX_ENTRIES || offset > ZIP32_LIMIT || size > ZIP32_LIMIT;
  const parts: Buffer[] = [];
  if (zip64) {
    const record = Buffer.allocUnsafe(56);
    record.writeUInt32LE(ZIP64_END_SIGNATURE, 0); // zip64 end of central dir signature
    record.writeBigUInt64LE(44n, 4); // size of zip64 end of central directory record (after this field)
    record.writeUInt16LE(VERSION_MADE_BY, 12); // version made by
    record.writeUInt16LE(VERSION_NEEDED_ZIP64, 14); // version needed to extract
    record.writeUInt32LE(0, 16); // number of this disk
    record.writeUInt32LE(0, 20); // number of the disk with the start of the central directory
    record.writeBigUInt64LE(BigInt(entries), 24); // total entries on this disk
    record.writeBigUInt64LE(BigInt(entries), 32); // total entries
    record.writeBigUInt64LE(BigInt(size), 40); // size of the central directory
    record.writeBigUInt64LE(BigInt(offset), 48); // offset of start of central directory
    const locator = Buffer.allocUnsafe(20);
    locator.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, 0); // zip64 end of central dir locator signature
    locator.writeUInt32LE(0, 4); // number of the disk with the zip64 end record
    locator.writeBigUInt64LE(BigInt(offset + size), 8); // relative offset of the zip64 end record
    locator.writeUInt32LE(1, 16); // total number of disks
    parts.push(record, locator);
  }
  const end = Buffer.allocUnsafe(22);
  end.writeUInt32LE(END_SIGNATURE, 0); // end of central dir signature
  end.writeUInt16LE(0, 4); // number of this disk
  end.writeUInt16LE(0, 6); // disk where the central directory starts
  end.writeUInt16LE(zip64 ? 0xffff : entries, 8); // entries on this disk
  end.writeUInt16LE(zip64 ? 0xffff : entries, 10); // total entries
  end.writeUInt32LE(zip64 ? 0xffffffff : size, 12); // size of the central directory
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16); // offset of start of central directory
  end.writeUInt16LE(0, 20); // comment length
  parts.push(end);
  return Buffer.concat(parts);
}
