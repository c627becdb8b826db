// Finds the records of a zip (APPNOTE 6.3.x) so mutators can aim at fields of the local
// headers, the central directory, the zip64 records and the end record. Tolerant: it returns
// what it can read from already-mutated bytes.

/** Signatures, little-endian. */
export const ZIP_SIG = {
  local: 0x04034b50,
  central: 0x02014b50,
  eocd: 0x06054b50,
  zip64Eocd: 0x06064b50,
  zip64Locator: 0x07064b50,
} as const;

/** Local file header fields: offset from the signature and width in bytes. */
export const LOCAL_FIELDS = {
  versionNeeded: [4, 2],
  flags: [6, 2],
  method: [8, 2],
  time: [10, 2],
  date: [12, 2],
  crc32: [14, 4],
  compressedSize: [18, 4],
  uncompressedSize: [22, 4],
  nameLength: [26, 2],
  extraLength: [28, 2],
} as const satisfies Record<string, readonly [number, number]>;

/** Central directory file header fields. */
export const CENTRAL_FIELDS = {
  versionMadeBy: [4, 2],
  versionNeeded: [6, 2],
  flags: [8, 2],
  method: [10, 2],
  time: [12, 2],
  date: [14, 2],
  crc32: [16, 4],
  compressedSize: [20, 4],
  uncompressedSize: [24, 4],
  nameLength: [28, 2],
  extraLength: [30, 2],
  commentLength: [32, 2],
  diskStart: [34, 2],
  internalAttributes: [36, 2],
  externalAttributes: [38, 4],
  localOffset: [42, 4],
} as const satisfies Record<string, readonly [number, number]>;

/** End of central directory record fields. */
export const EOCD_FIELDS = {
  diskNumber: [4, 2],
  cdDisk: [6, 2],
  entriesOnDisk: [8, 2],
  entriesTotal: [10, 2],
  cdSize: [12, 4],
  cdOffset: [16, 4],
  commentLength: [20, 2],
} as const satisfies Record<string, readonly [number, number]>;

/** Zip64 end of central directory record fields. */
export const ZIP64_EOCD_FIELDS = {
  recordSize: [4, 8],
  versionMadeBy: [12, 2],
  versionNeeded: [14, 2],
  diskNumber: [16, 4],
  cdDisk: [20, 4],
  entriesOnDisk: [24, 8],
  entriesTotal: [32, 8],
  cdSize: [40, 8],
  cdOffset: [48, 8],
} as const satisfies Record<string, readonly [number, number]>;

/** One central directory record and the local header it names. */
export interface ZipEntryLayout {
  /** Offset of the central record's signature. */
  central: number;
  /** Length of the central record (46 + name + extra + comment). */
  centralLength: number;
  /** Offset of the local header, as the central record says (may be out of range once mutated). */
  local: number;
  /** Offset of the extra field in the central record. */
  centralExtra: number;
}

/** The parts of a zip. */
export interface ZipLayout {
  eocd: number | undefined;
  zip64Locator: number | undefined;
  zip64Eocd: number | undefined;
  cdOffset: number;
  cdSize: number;
  entries: ZipEntryLayout[];
}

/** Reads an unsigned little-endian field of 1, 2, 4 or 8 bytes; undefined past the end. */
export function readField(buffer: Buffer, at: number, width: number): number | undefined {
  if (at < 0 || at + width > buffer.length) return undefined;
  if (width === 2) return buffer.readUInt16LE(at);
  if (width === 4) return buffer.readUInt32LE(at);
  if (width === 8) return Number(buffer.readBigUInt64LE(at));
  return buffer[at];
}

/** Writes an unsigned little-endian field, truncating the value to its width; no-op past the end. */
export function writeField(buffer: Buffer, at: number, width: number, value: number): void {
  if (at < 0 || at + width > buffer.length) return;
  if (width === 2) buffer.writeUInt16LE(value & 0xffff, at);
  else if (width === 4) buffer.writeUInt32LE(value >>> 0, at);
  else if (width === 8) buffer.writeBigUInt64LE(BigInt.asUintN(64, BigInt(Math.trunc(value))), at);
  else buffer[at] = value & 0xff;
}

/** The zip's layout, as far as it reads. */
export function zipLayout(buffer: Buffer): ZipLayout {
  let eocd: number | undefined;
  for (let at = buffer.length - 22; at >= Math.max(0, buffer.length - 22 - 0xffff); at--) {
    if (buffer.readUInt32LE(at) === ZIP_SIG.eocd) {
      eocd = at;
      break;
    }
  }
  const layout: ZipLayout = { eocd, zip64Locator: undefined, zip64Eocd: undefined, cdOffset: 0, cdSize: 0, entries: [] };
  if (eocd === undefined) return layout;
  layout.cdOffset = buffer.readUInt32LE(eocd + 16);
  layout.cdSize = buffer.readUInt32LE(eocd + 12);
  let count = buffer.readUInt16LE(eocd + 10);
  if (eocd >= 20 && buffer.readUInt32LE(eocd - 20) === ZIP_SIG.zip64Locator) {
    layout.zip64Locator = eocd - 20;
    const at = readField(buffer, eocd - 20 + 8, 8);
    if (at !== undefined && at + 56 <= buffer.length && buffer.readUInt32LE(at) === ZIP_SIG.zip64Eocd) {
      layout.zip64Eocd = at;
      count = readField(buffer, at + 32, 8) ?? count;
      layout.cdSize = readField(buffer, at + 40, 8) ?? layout.cdSize;
      layout.cdOffset = readField(buffer, at + 48, 8) ?? layout.cdOffset;
    }
  }
  let at = layout.cdOffset;
  for (let i = 0; i < count && at + 46 <= buffer.length; i++) {
    if (buffer.readUInt32LE(at) !== ZIP_SIG.central) break;
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const centralLength = 46 + nameLength + extraLength + commentLength;
    const centralExtra = at + 46 + nameLength;
    layout.entries.push({ central: at, centralLength, local: zip64LocalOffset(buffer, at, centralExtra, extraLength) ?? buffer.readUInt32LE(at + 42), centralExtra });
    at += centralLength;
  }
  return layout;
}

/**
 * The local header offset from a zip64 extended information extra field (0x0001), present when
 * the 32-bit field is 0xFFFFFFFF. Its values come in a fixed order, each only if its 32-bit
 * field is saturated: uncompressed size, compressed size, local header offset.
 */
function zip64LocalOffset(buffer: Buffer, central: number, extraStart: number, extraLength: number): number | undefined {
  if (buffer.readUInt32LE(central + 42) !== 0xffffffff) return undefined;
  const field = extraFields(buffer, extraStart, extraLength).find((f) => f.id === 0x0001);
  if (field === undefined) return undefined;
  let at = field.data;
  if (buffer.readUInt32LE(central + 24) === 0xffffffff) at += 8;
  if (buffer.readUInt32LE(central + 20) === 0xffffffff) at += 8;
  return at + 8 <= field.data + field.size ? readField(buffer, at, 8) : undefined;
}

/** Extra fields of one record's extra block: id, offset of its data, and its stated length. */
export function extraFields(buffer: Buffer, start: number, length: number): Array<{ id: number; data: number; size: number }> {
  const fields: Array<{ id: number; data: number; size: number }> = [];
  let at = start;
  while (at + 4 <= start + length && at + 4 <= buffer.length) {
    const size = buffer.readUInt16LE(at + 2);
    fields.push({ id: buffer.readUInt16LE(at), data: at + 4, size });
    at += 4 + size;
  }
  return fields;
}
