// One 512-byte tar header block, decoded strictly. Field offsets from POSIX.1-2017 `ustar`
// (pax(1), "ustar Interchange Format"), with the GNU variants noted where they differ.
import { ExtractionError } from '../../errors/index.js';
import type { RawEntryKind } from './raw-entry.js';

/** The size of a tar block: headers, and bodies padded up to it. */
export const BLOCK_SIZE = 512;

/** What a type flag announces: an entry, or a metadata record for the next entry. */
export type TarRecordKind = RawEntryKind | 'pax' | 'pax-global' | 'gnu-long-name' | 'gnu-long-link';

/** A decoded header block. */
export interface TarHeader {
  /** `name`, joined with the ustar `prefix` when there is one. */
  name: string;
  /** Permission bits as stored. */
  mode: number;
  /** Body size in bytes. */
  size: number;
  /** Modification time in seconds since the epoch. */
  mtimeSeconds: number;
  /** What the record is. */
  kind: TarRecordKind;
  /** The raw type flag, as a character. */
  typeFlag: string;
  /** `linkname`. */
  linkName: string;
  /** 'ustar' (POSIX), 'gnu', or 'v7' (no magic: an old tar, recognised by its checksum). */
  flavour: 'ustar' | 'gnu' | 'v7';
}

const TYPE_FLAGS: Record<string, TarRecordKind> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere we run
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-long-name',
  K: 'gnu-long-link',
};

function corrupt(message: string, entryPath?: string): ExtractionError {
  return new ExtractionError(message, { reason: 'CORRUPT', ...(entryPath === undefined ? {} : { entryPath }) });
}

/** True when all 512 bytes are zero: the end-of-archive marker. */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** The header checksum: every byte summed with the `chksum` field (148..155) counted as spaces. */
export function headerChecksum(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    if (i >= 148 && i < 156) continue;
    const byte = block[i] as number;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return { unsigned, signed };
}

/** Whether the block's stored checksum matches (unsigned, or signed as some old tars wrote it). */
export function hasValidChecksum(block: Buffer): boolean {
  if (block.length < BLOCK_SIZE) return false;
  const stored = parseOctal(block, 148, 8);
  if (stored === undefined) return false;
  const { unsigned, signed } = headerChecksum(block);
  return stored === unsigned || stored === signed;
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

// Octal digits, optionally led by spaces or zeros and ended by a space or NUL. Anything else
// (a letter, a minus sign) is corrupt: `parseInt` would quietly return a prefix or NaN.
function parseOctal(block: Buffer, offset: number, length: number): number | undefined {
  let i = offset;
  const end = offset + length;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const byte = block[i] as number;
    if (byte === 0 || byte === 0x20) break;
    if (byte < 0x30 || byte > 0x37) return undefined;
    value = value * 8 + (byte - 0x30);
    digits++;
  }
  for (; i < end; i++) if (block[i] !== 0 && block[i] !== 0x20) return undefined;
  return digits === 0 ? 0 : value;
}

// GNU base-256: first byte 0x80 (positive) then big-endian bytes; 0xff means negative.
function parseNumber(block: Buffer, offset: number, length: number, field: string, name: string): number {
  const first = block[offset] as number;
  if (first & 0x80) {
    if (first === 0xff) throw corrupt(`tar header field ${field} is negative`, name);
    let value = first & 0x7f;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + (block[i] as number);
    if (!Number.isSafeInteger(value)) throw corrupt(`tar header field ${field} is too large (${value})`, name);
    return value;
  }
  const value = parseOctal(block, offset, length);
  if (value === undefined) {
    throw corrupt(`tar header field ${field} is not an octal number (${JSON.stringify(block.toString('latin1', offset, offset + length))})`, name);
  }
  return value;
}

/**
 * Decodes one header block. Returns `null` for the end-of-archive (all-zero) block, throws
 * `CORRUPT` for a bad checksum or a malformed number.
 *
 * @example
 * ```ts
 * const header = decodeTarHeader(block); // { name: 'a.bin', kind: 'file', size: 1024, ... }
 * ```
 */
export function decodeTarHeader(block: Buffer): TarHeader | null {
  if (block.length < BLOCK_SIZE) throw corrupt(`tar header cut short: ${block.length} of ${BLOCK_SIZE} bytes`);
  if (isZeroBlock(block)) return null;
  // 0 - name (100)
  let name = readString(block, 0, 100);
  if (!hasValidChecksum(block)) {
    const stored = block.toString('latin1', 148, 156).replace(/\0/g, ' ').trim();
    throw corrupt(`tar header checksum mismatch (stored ${JSON.stringify(stored)}, computed ${headerChecksum(block).unsigned})`, name || undefined);
  }
  // 257 - magic (6) + 263 - version (2): "ustar\0" "00" for POSIX, "ustar " " \0" for GNU
  const magic = block.toString('latin1', 257, 263);
  const flavour = magic === 'ustar\0' ? 'ustar' : magic === 'ustar ' ? 'gnu' : 'v7';
  // 345 - prefix (155), POSIX only: GNU keeps atime/ctime there
  if (flavour === 'ustar') {
    const prefix = readString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  // 156 - typeflag (1)
  const typeFlag = String.fromCharCode(block[156] as number);
  let kind: TarRecordKind = TYPE_FLAGS[typeFlag] ?? 'unknown';
  // An old (v7) tar marks a folder only by a trailing slash on a regular-file entry.
  if (kind === 'file' && typeFlag !== '7' && name.endsWith('/')) kind = 'directory';
  return {
    name,
    // 100 - mode (8)
    mode: parseNumber(block, 100, 8, 'mode', name),
    // 124 - size (12)
    size: parseNumber(block, 124, 12, 'size', name),
    // 136 - mtime (12)
    mtimeSeconds: parseNumber(block, 136, 12, 'mtime', name),
    kind,
    typeFlag,
    // 157 - linkname (100)
    linkName: readString(block, 157, 100),
    flavour,
  };
}

/**
 * Parses a PAX extended header body: records `"<length> <key>=<value>\n"`, where `length`
 * counts the whole record. Throws `CORRUPT` on a record that does not add up.
 *
 * @example
 * ```ts
 * parsePaxRecords(Buffer.from('16 path=a/b.txt\n')); // { path: 'a/b.txt' }
 * ```
 */
export function parsePaxRecords(body: Buffer, entryPath?: string): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    if (body[offset] === 0) break; // padding some writers leave at the end
    const space = body.indexOf(0x20, offset);
    const length = space === -1 ? NaN : Number(body.toString('latin1', offset, space));
    if (!Number.isSafeInteger(length) || length <= space - offset + 1 || offset + length > body.length) {
      throw corrupt(`malformed PAX record at byte ${offset}`, entryPath);
    }
    const record = body.subarray(space + 1, offset + length);
    if (record[record.length - 1] !== 0x0a) throw corrupt(`PAX record at byte ${offset} does not end with a newline`, entryPath);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw corrupt(`PAX record at byte ${offset} has no key`, entryPath);
    records[record.toString('utf8', 0, equals)] = record.toString('utf8', equals + 1, record.length - 1);
    offset += length;
  }
  return records;
}
