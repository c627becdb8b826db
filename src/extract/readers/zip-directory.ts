// A zip's central directory, read once (parsed here, into yauzl's Entry) and kept as columns of
// numbers and slabs of name bytes: no object per entry. Every record must be read before the first byte is written
// (overlapping records are refused up front), so they are all held at once; yauzl's own Entry
// objects (a dozen fields, three Buffer views and the parsed extra fields each) cost about 1 KB
// an entry, 100 MiB at 100,000 entries. Here an entry costs its name bytes plus about 60 bytes
// (docs/performance.md, "Memory").
import yauzl from 'yauzl';
import { ExtractionError } from '../../errors/index.js';
import { assertWithinLimit, type ExtractionLimits } from '../policy/limits.js';
import type { RawEntryKind } from './raw-entry.js';
import type { RangedReader } from './ranged-reader.js';
import { checkLayout } from './zip-layout.js';

/** One central-directory record, made on demand from the columns (one at a time). */
export interface ZipRecord {
  /** Position in the central directory. */
  readonly index: number;
  /** The final name: the Info-ZIP Unicode Path extra field (0x7075) wins when its CRC matches. */
  readonly name: string;
  /** The name's bytes as stored, to compare with the local header's. */
  readonly rawName: Buffer;
  readonly kind: RawEntryKind;
  /** Permission bits (Unix attributes, or 0o755 / 0o644). */
  readonly mode: number;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly crc32: number;
  readonly compressionMethod: number;
  /** Traditional PKWARE encryption (general purpose bit 0). */
  readonly encrypted: boolean;
  readonly localHeaderOffset: number;
  /** The external attributes as stored (the Unix type bits, for messages). */
  readonly externalFileAttributes: number;
  readonly mtime: Date;
}

const KINDS: readonly RawEntryKind[] = ['file', 'directory', 'symlink', 'hardlink', 'character-device', 'block-device', 'fifo', 'unknown'];

// Unix file type bits (st_mode & S_IFMT), present when "version made by" says Unix (3).
const UNIX_KINDS: Record<number, RawEntryKind> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'symlink',
  0o020000: 'character-device',
  0o060000: 'block-device',
  0o010000: 'fifo',
  0o140000: 'unknown', // socket
};

/**
 * Kind and mode from the external attributes (Unix high 16 bits) and the trailing slash.
 *
 * @example
 * ```ts
 * zipEntryKind({ versionMadeBy: 0x031e, externalFileAttributes: 0o100644 << 16 }, 'a.txt'); // { kind: 'file', mode: 0o644 }
 * ```
 */
export function zipEntryKind(record: Pick<yauzl.Entry, 'versionMadeBy' | 'externalFileAttributes'>, name: string): { kind: RawEntryKind; mode: number } {
  const madeOnUnix = record.versionMadeBy >> 8 === 3;
  const unixMode = madeOnUnix ? record.externalFileAttributes >>> 16 : 0;
  const typeBits = unixMode & 0o170000;
  let kind: RawEntryKind = typeBits === 0 ? 'file' : (UNIX_KINDS[typeBits] ?? 'unknown');
  // MS-DOS directory attribute (0x10) or a trailing slash marks a folder whatever the host.
  if (name.endsWith('/') || (record.externalFileAttributes & 0x10) !== 0) {
    if (kind === 'file') kind = 'directory';
  }
  const mode = unixMode & 0o7777 || (kind === 'directory' ? 0o755 : 0o644);
  return { kind, mode };
}

/**
 * A zip's central directory in compact columns.
 *
 * @example
 * ```ts
 * const directory = await ZipDirectory.read(zip, reader, limits, 'model.zip');
 * const nextStarts = directory.checkLayout();
 * for (let i = 0; i < directory.count; i++) console.log(directory.record(i).name);
 * ```
 */
export class ZipDirectory {
  /** Where the central directory starts: every entry's data must end before it. */
  readonly centralDirectoryOffset: number;
  #count = 0;
  readonly #offsets: Float64Array;
  readonly #compressedSizes: Float64Array;
  readonly #uncompressedSizes: Float64Array;
  readonly #mtimes: Float64Array;
  readonly #crcs: Uint32Array;
  readonly #attributes: Uint32Array;
  readonly #methods: Uint16Array;
  readonly #flags: Uint16Array;
  readonly #modes: Uint16Array;
  readonly #kinds: Uint8Array;
  readonly #rawNames: ByteSlabs;
  /** The decoded name's UTF-8 where it differs from the stored bytes (CP437, a Unicode Path field); else empty. */
  readonly #decodedNames: ByteSlabs;

  private constructor(capacity: number, centralDirectoryOffset: number) {
    this.centralDirectoryOffset = centralDirectoryOffset;
    this.#offsets = new Float64Array(capacity);
    this.#compressedSizes = new Float64Array(capacity);
    this.#uncompressedSizes = new Float64Array(capacity);
    this.#mtimes = new Float64Array(capacity);
    this.#crcs = new Uint32Array(capacity);
    this.#attributes = new Uint32Array(capacity);
    this.#methods = new Uint16Array(capacity);
    this.#flags = new Uint16Array(capacity);
    this.#modes = new Uint16Array(capacity);
    this.#kinds = new Uint8Array(capacity);
    this.#rawNames = new ByteSlabs(capacity);
    this.#decodedNames = new ByteSlabs(capacity);
  }

  /** Reads every central-directory record of `zip` (opened with `lazyEntries`, `decodeStrings: false`) through `reader`, the one `zip` was opened on. */
  static async read(zip: yauzl.ZipFile, reader: RangedReader, limits: Pick<ExtractionLimits, 'maxEntries'>, label?: string): Promise<ZipDirectory> {
    assertWithinLimit('maxEntries', zip.entryCount, limits.maxEntries);
    // yauzl's cursor is at the first record until the first read.
    const directory = new ZipDirectory(zip.entryCount, (zip as unknown as { readEntryCursor: number }).readEntryCursor);
    try {
      await directory.#readRecords(reader, zip.entryCount);
    } catch (error) {
      throw new ExtractionError(`zip central directory is unreadable: ${(error as Error).message}`, {
        reason: 'CORRUPT',
        ...(label === undefined ? {} : { archivePath: label }),
        cause: error,
      });
    }
    return directory;
  }

  /** Records read. */
  get count(): number {
    return this.#count;
  }

  /**
   * Refuses records whose bytes overlap each other or the central directory (the
   * overlapping-entry zip bomb); returns, for each record, where the next record begins.
   */
  checkLayout(): Float64Array {
    const ends = new Float64Array(this.#count);
    for (let i = 0; i < this.#count; i++) ends[i] = this.#offsets[i]! + LOCAL_HEADER_FIXED_BYTES + this.#rawNames.length(i) + this.#compressedSizes[i]!;
    return checkLayout(this.#offsets.subarray(0, this.#count), ends, this.centralDirectoryOffset, (i) => this.#name(i));
  }

  /** Record `index`, as an object made now. */
  record(index: number): ZipRecord {
    return {
      index,
      name: this.#name(index),
      rawName: this.#rawNames.bytes(index),
      kind: KINDS[this.#kinds[index]!]!,
      mode: this.#modes[index]!,
      uncompressedSize: this.#uncompressedSizes[index]!,
      compressedSize: this.#compressedSizes[index]!,
      crc32: this.#crcs[index]!,
      compressionMethod: this.#methods[index]!,
      encrypted: (this.#flags[index]! & 0x1) !== 0,
      localHeaderOffset: this.#offsets[index]!,
      externalFileAttributes: this.#attributes[index]!,
      mtime: new Date(this.#mtimes[index]!),
    };
  }

  #name(index: number): string {
    const decoded = this.#decodedNames.length(index) > 0 ? this.#decodedNames : this.#rawNames;
    return decoded.text(index);
  }

  /**
   * Parses the records from the directory's bytes, read in blocks of 1 MiB, into yauzl's own
   * Entry (with its extra-field, zip64 and timestamp rules). yauzl's readEntry makes two reads of
   * the source per record, each a stream and a few callbacks: 3.1 s and 110 MiB of peak RSS for
   * the directory of 100,000 entries, most of a zip source's time and memory (docs/performance.md,
   * "Zip sources with many entries").
   */
  async #readRecords(reader: RangedReader, count: number): Promise<void> {
    let block: Buffer = EMPTY;
    let blockStart = this.centralDirectoryOffset;
    let cursor = blockStart;
    /** `length` bytes at the cursor, from the current block or a new one read from there. */
    const bytesAt = async (length: number): Promise<Buffer> => {
      if (cursor + length > blockStart + block.length) {
        block = await reader.readRange(cursor, cursor + Math.max(length, DIRECTORY_BLOCK_BYTES));
        blockStart = cursor;
        if (block.length < length) throw new Error('unexpected EOF');
      }
      const at = cursor - blockStart;
      cursor += length;
      return block.subarray(at, at + length);
    };
    for (let read = 0; read < count; read++) {
      const fixed = await bytesAt(CENTRAL_RECORD_FIXED_BYTES);
      const signature = fixed.readUInt32LE(0);
      if (signature !== CENTRAL_RECORD_SIGNATURE) throw new Error(`invalid central directory file header signature: 0x${signature.toString(16)}`);
      const entry = new yauzl.Entry();
      entry.versionMadeBy = fixed.readUInt16LE(4);
      entry.versionNeededToExtract = fixed.readUInt16LE(6);
      entry.generalPurposeBitFlag = fixed.readUInt16LE(8);
      entry.compressionMethod = fixed.readUInt16LE(10);
      entry.lastModFileTime = fixed.readUInt16LE(12);
      entry.lastModFileDate = fixed.readUInt16LE(14);
      entry.crc32 = fixed.readUInt32LE(16);
      entry.compressedSize = fixed.readUInt32LE(20);
      entry.uncompressedSize = fixed.readUInt32LE(24);
      entry.fileNameLength = fixed.readUInt16LE(28);
      entry.extraFieldLength = fixed.readUInt16LE(30);
      entry.fileCommentLength = fixed.readUInt16LE(32);
      entry.internalFileAttributes = fixed.readUInt16LE(36);
      entry.externalFileAttributes = fixed.readUInt32LE(38);
      entry.relativeOffsetOfLocalHeader = fixed.readUInt32LE(42);
      if (entry.generalPurposeBitFlag & 0x40) throw new Error('strong encryption is not supported');
      const variable = await bytesAt(entry.fileNameLength + entry.extraFieldLength + entry.fileCommentLength);
      const commentStart = entry.fileNameLength + entry.extraFieldLength;
      entry.fileNameRaw = variable.subarray(0, entry.fileNameLength);
      entry.extraFieldRaw = variable.subarray(entry.fileNameLength, commentStart);
      entry.fileCommentRaw = variable.subarray(commentStart, commentStart + entry.fileCommentLength);
      entry.extraFields = yauzl.parseExtraFields(entry.extraFieldRaw);
      applyZip64Fields(entry);
      if (entry.compressionMethod === 0) {
        // As yauzl's validateEntrySizes: traditional encryption prefixes 12 bytes.
        const expected = entry.uncompressedSize + (entry.generalPurposeBitFlag & 0x1 ? 12 : 0);
        if (entry.compressedSize !== expected) throw new Error(`compressed/uncompressed size mismatch for stored file: ${entry.compressedSize} != ${entry.uncompressedSize}`);
      }
      this.#add(entry);
    }
  }

  #add(entry: yauzl.Entry): void {
    const i = this.#count++;
    const name = zipEntryNameOf(entry);
    const { kind, mode } = zipEntryKind(entry, name);
    this.#offsets[i] = entry.relativeOffsetOfLocalHeader;
    this.#compressedSizes[i] = entry.compressedSize;
    this.#uncompressedSizes[i] = entry.uncompressedSize;
    this.#mtimes[i] = entry.getLastModDate().getTime();
    this.#crcs[i] = entry.crc32;
    this.#attributes[i] = entry.externalFileAttributes;
    this.#methods[i] = entry.compressionMethod;
    this.#flags[i] = entry.generalPurposeBitFlag;
    this.#modes[i] = mode;
    this.#kinds[i] = KINDS.indexOf(kind);
    const raw = entry.fileNameRaw as unknown as Buffer;
    this.#rawNames.add(i, raw);
    const utf8 = Buffer.from(name);
    this.#decodedNames.add(i, utf8.equals(raw) ? EMPTY : utf8);
  }
}

/** Central directory file header (APPNOTE 4.3.12): signature and size before its name, extra field and comment. */
const CENTRAL_RECORD_SIGNATURE = 0x02014b50;
const CENTRAL_RECORD_FIXED_BYTES = 46;
/** How much of the central directory one read takes: about 15,000 records of short names. */
const DIRECTORY_BLOCK_BYTES = 1024 * 1024;

/** The Zip64 Extended Information field (0x0001): the 64-bit values of the fields stored as 0xffffffff, in APPNOTE order. */
function applyZip64Fields(entry: yauzl.Entry): void {
  const field = entry.extraFields.find((extra) => extra.id === 0x0001);
  if (field === undefined) return;
  const data = field.data;
  let at = 0;
  const next = (what: string): number => {
    if (at + 8 > data.length) throw new Error(`zip64 extended information extra field does not include ${what}`);
    const value = data.readUInt32LE(at) + data.readUInt32LE(at + 4) * 0x100000000;
    at += 8;
    return value;
  };
  if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next('uncompressed size');
  if (entry.compressedSize === 0xffffffff) entry.compressedSize = next('compressed size');
  if (entry.relativeOffsetOfLocalHeader === 0xffffffff) entry.relativeOffsetOfLocalHeader = next('relative header offset');
}

/** Size of a local file header before its name and extra field (APPNOTE 4.3.7). */
const LOCAL_HEADER_FIXED_BYTES = 30;
const EMPTY = Buffer.alloc(0);
const SLAB_BYTES = 256 * 1024;
const SLAB_SHIFT = 2 ** 32;

/** The decoded name of a yauzl record (read with `decodeStrings: false`); strict: backslashes are kept for the policy to judge. */
function zipEntryNameOf(entry: yauzl.Entry): string {
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw as unknown as Buffer, entry.extraFields, true);
}

/** Byte strings numbered 0…n-1 in slabs that are filled and never copied; a string costs its bytes plus 12. */
class ByteSlabs {
  readonly #slabs: Buffer[] = [];
  #current = EMPTY;
  #used = 0;
  readonly #starts: Float64Array;
  readonly #lengths: Int32Array;

  constructor(capacity: number) {
    this.#starts = new Float64Array(capacity);
    this.#lengths = new Int32Array(capacity);
  }

  add(index: number, bytes: Buffer): void {
    this.#lengths[index] = bytes.length;
    if (bytes.length === 0) return;
    if (bytes.length > this.#current.length - this.#used) {
      this.#current = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes.length));
      this.#slabs.push(this.#current);
      this.#used = 0;
    }
    bytes.copy(this.#current, this.#used);
    this.#starts[index] = (this.#slabs.length - 1) * SLAB_SHIFT + this.#used;
    this.#used += bytes.length;
  }

  length(index: number): number {
    return this.#lengths[index]!;
  }

  bytes(index: number): Buffer {
    const length = this.#lengths[index]!;
    if (length === 0) return EMPTY;
    const at = this.#starts[index]!;
    const offset = at % SLAB_SHIFT;
    return this.#slabs[(at - offset) / SLAB_SHIFT]!.subarray(offset, offset + length);
  }

  text(index: number): string {
    const length = this.#lengths[index]!;
    if (length === 0) return '';
    const at = this.#starts[index]!;
    const offset = at % SLAB_SHIFT;
    return this.#slabs[(at - offset) / SLAB_SHIFT]!.toString('utf8', offset, offset + length);
  }
}
