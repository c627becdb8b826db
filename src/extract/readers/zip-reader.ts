// Reads a zip through yauzl with random access: the central directory first (all of it, so
// overlaps are refused before a byte is written), then each entry's local header and data
// only when its body is asked for. Names are decoded by us (yauzl's strictFileNames turns
// backslashes into slashes, hiding `..\\` traversals from the policy).
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { ExtractionError } from '../../errors/index.js';
import { assertRatio, assertWithinLimit, type ExtractionLimits } from '../policy/limits.js';
import type { RandomAccessSource } from '../types.js';
import type { RawEntry } from './raw-entry.js';
import { asExtractionError } from './tar-reader.js';
import { RangedReader } from './ranged-reader.js';
import { releaseIfOwned } from '../sources/open-archive.js';
import { ZipDirectory, type ZipRecord } from './zip-directory.js';
import { checkWholeEntry, ZipEntryVerifier, type RatioLedger } from './zip-verifier.js';

const YAUZL_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  decodeStrings: false,
  validateEntrySizes: true,
  strictFileNames: true,
};

/** Opens a zip with our options, reading through the frugal {@link RangedReader}. */
export async function openZip(source: RandomAccessSource, label: string | undefined, reader = new RangedReader(source)): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.fromRandomAccessReaderPromise(reader, source.size, YAUZL_OPTIONS);
  } catch (error) {
    throw new ExtractionError(`zip could not be opened: ${(error as Error).message}`, {
      reason: 'CORRUPT',
      ...(label === undefined ? {} : { archivePath: label }),
      cause: error,
    });
  }
}

/** Local file header signature (APPNOTE 4.3.7). */
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
/** Size of a local file header before its name and extra field. */
const LOCAL_HEADER_FIXED_BYTES = 30;
/**
 * Entries at most this big compressed, and at most {@link WHOLE_BODY_MAX_BYTES} uncompressed, are
 * read whole: one range read (usually from the read-ahead block), one synchronous inflate, checked
 * at once, no stream. A stream per entry (yauzl's, an inflate and our verifier) cost about 250 µs
 * an entry, most of the time of a zip of 100,000 small files (docs/performance.md).
 */
const WHOLE_BODY_COMPRESSED_BYTES = 64 * 1024;
const WHOLE_BODY_MAX_BYTES = 256 * 1024;

/** Everything needed to open one entry's data with checks. */
interface ZipBodyContext {
  zip: yauzl.ZipFile;
  reader: RangedReader;
  record: ZipRecord;
  nextStart: number;
  ledger: RatioLedger;
}

function checkMethod(record: ZipRecord): void {
  const { name } = record;
  if (record.encrypted) throw new ExtractionError('encrypted zip entries are not supported', { reason: 'UNSUPPORTED_FORMAT', entryPath: name });
  if (record.compressionMethod !== 0 && record.compressionMethod !== 8) {
    throw new ExtractionError(`zip compression method ${record.compressionMethod} is not supported (only store and deflate)`, { reason: 'UNSUPPORTED_FORMAT', entryPath: name });
  }
}

/**
 * Reads and checks the entry's local header; returns where its data starts. The local name must
 * be the central directory's, and the data must end before the next record.
 */
async function readLocalHeader({ reader, record, nextStart }: ZipBodyContext): Promise<number> {
  const { name, localHeaderOffset } = record;
  const fixed = await reader.readRange(localHeaderOffset, localHeaderOffset + LOCAL_HEADER_FIXED_BYTES);
  if (fixed.length < LOCAL_HEADER_FIXED_BYTES || fixed.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw new ExtractionError(`no local file header at offset ${localHeaderOffset}`, { reason: 'CORRUPT', entryPath: name });
  }
  const nameLength = fixed.readUInt16LE(26);
  const dataStart = localHeaderOffset + LOCAL_HEADER_FIXED_BYTES + nameLength + fixed.readUInt16LE(28);
  const localName = await reader.readRange(localHeaderOffset + LOCAL_HEADER_FIXED_BYTES, localHeaderOffset + LOCAL_HEADER_FIXED_BYTES + nameLength);
  if (!localName.equals(record.rawName)) {
    throw new ExtractionError(`local header names ${JSON.stringify(localName.toString('utf8'))} but the central directory names it otherwise`, {
      reason: 'CORRUPT',
      entryPath: name,
      suggestion: 'the two names of one entry differ, a trick to show one name to a checker and write another; do not trust this archive',
    });
  }
  const dataEnd = dataStart + record.compressedSize;
  if (dataEnd > nextStart) {
    throw new ExtractionError(`entry data [${dataStart}, ${dataEnd}) runs into the next record at ${nextStart}`, {
      reason: 'OVERLAPPING_ENTRIES',
      entryPath: name,
    });
  }
  return dataStart;
}

async function openVerifiedStream(context: ZipBodyContext): Promise<Readable> {
  const { zip, record } = context;
  checkMethod(record);
  const dataStart = await readLocalHeader(context);
  context.ledger.consumed += record.compressedSize;
  return new Promise<Readable>((resolve, reject) => {
    // yauzl stops an inflate that runs past the declared size; our verifier checks the rest.
    zip.openReadStreamLowLevel(dataStart, record.compressedSize, 0, record.compressedSize, record.compressionMethod === 8, record.uncompressedSize, (error, stream) =>
      error ? reject(error) : resolve(stream),
    );
  });
}

/** A small entry's whole content, inflated and checked like a streamed one (size, ratio, CRC-32). */
async function readWholeBody(context: ZipBodyContext): Promise<Buffer> {
  const { reader, record, ledger } = context;
  const { name } = record;
  checkMethod(record);
  const dataStart = await readLocalHeader(context);
  ledger.consumed += record.compressedSize;
  const compressed = await reader.readRange(dataStart, dataStart + record.compressedSize);
  if (compressed.length < record.compressedSize) throw new ExtractionError(`archive ends inside the data of the entry`, { reason: 'CORRUPT', entryPath: name });
  // Stored bytes are copied: a view would pin the whole read-ahead block while the caller holds it.
  const data = record.compressionMethod === 8 ? inflateWhole(compressed, record) : Buffer.from(compressed);
  checkWholeEntry(data, record.uncompressedSize, record.crc32, ledger, name);
  return data;
}

/** Inflates at most one byte past the declared size: a lying header cannot make it allocate more. */
function inflateWhole(compressed: Buffer, record: ZipRecord): Buffer {
  try {
    // One output chunk of the declared size: zlib's default 16 KiB chunk, cut to a 1 KiB entry,
    // pinned 16 KiB for as long as the entry was held (16 MiB with the zipper's pieces in flight).
    return inflateRawSync(compressed, { maxOutputLength: record.uncompressedSize + 1, chunkSize: Math.max(64, record.uncompressedSize + 1) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ExtractionError(`entry produced more than the declared ${record.uncompressedSize} bytes`, { reason: 'SIZE_MISMATCH', entryPath: record.name, cause: error });
    }
    throw asExtractionError(error, record.name);
  }
}

/** yauzl's byte-count assertion means the declared size lied; anything else is corruption. */
function zipStreamError(error: unknown, name: string): Error {
  if (error instanceof Error && /bytes in the stream/.test(error.message)) {
    return new ExtractionError(`entry does not match its declared size: ${error.message}`, { reason: 'SIZE_MISMATCH', entryPath: name, cause: error });
  }
  return asExtractionError(error, name) as Error;
}

function verifiedBody(context: ZipBodyContext): Readable {
  const { record, ledger } = context;
  const { name } = record;
  const verifier = new ZipEntryVerifier(name, record.uncompressedSize, record.crc32, ledger);
  let inner: Readable | undefined;
  verifier.once('close', () => inner?.destroy());
  openVerifiedStream(context).then(
    (stream) => {
      inner = stream;
      if (verifier.destroyed) {
        stream.destroy();
        return;
      }
      stream.on('error', (error: unknown) => verifier.destroy(zipStreamError(error, name)));
      stream.pipe(verifier);
    },
    (error: unknown) => verifier.destroy(asExtractionError(error, name) as Error),
  );
  return verifier;
}

/** `readBody` of a small entry: the whole content at the first call (in pieces of at most `max`), then `null`. */
function wholeBodyPuller(context: ZipBodyContext): (max: number) => Promise<Buffer | null> {
  let whole: Promise<Buffer> | undefined;
  let offset = 0;
  return async (max) => {
    whole ??= readWholeBody(context);
    const data = await whole;
    if (offset >= data.length) return null;
    const piece = offset === 0 && data.length <= max ? data : data.subarray(offset, offset + max);
    offset += piece.length;
    return piece;
  };
}

/**
 * The body of a small entry as one stream over {@link wholeBodyPuller} (the whole content, then the end): the same checks as
 * {@link verifiedBody}, without its three streams and their per-chunk hops, which cost more than
 * the inflate for entries of a few KiB (zip extraction and `entries()` of 100,000 x 1 KiB).
 */
function wholeBodyStream(context: ZipBodyContext): Readable {
  const pull = wholeBodyPuller(context);
  return new Readable({
    read() {
      pull(WHOLE_BODY_MAX_BYTES).then(
        (piece) => this.push(piece),
        (error: unknown) => this.destroy(asExtractionError(error, context.record.name) as Error),
      );
    },
  });
}

async function readSmallBody(body: Readable, max: number, name: string): Promise<string> {
  const parts: Buffer[] = [];
  let have = 0;
  for await (const chunk of body) {
    have += (chunk as Buffer).length;
    assertWithinLimit('maxMetadataBytes', have, max, name);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts, have).toString('utf8');
}

/**
 * Yields each zip entry in central-directory order. Overlapping records are refused up front;
 * each body is opened only when asked for, after its local header is checked against the
 * central directory.
 *
 * @example
 * ```ts
 * for await (const raw of readZipEntries(source, DEFAULT_LIMITS)) console.log(raw.name, raw.size);
 * ```
 */
export async function* readZipEntries(source: RandomAccessSource, limits: ExtractionLimits, label?: string): AsyncGenerator<RawEntry, void, undefined> {
  let zip: yauzl.ZipFile;
  const reader = new RangedReader(source);
  try {
    zip = await openZip(source, label, reader);
  } catch (error) {
    await releaseIfOwned(source);
    throw error;
  }
  const open = new Set<Readable>();
  // Bodies read alongside later entries (concurrent extraction): the archive stays open for them.
  const detached = new Set<Readable>();
  let completed = false;
  try {
    const directory = await ZipDirectory.read(zip, reader, limits, label);
    const nextStarts = directory.checkLayout();
    const ledger: RatioLedger = {
      produced: 0,
      consumed: 0,
      check: (entryPath) => assertRatio(ledger.produced, ledger.consumed, limits.maxCompressionRatio, entryPath),
    };
    for (let index = 0; index < directory.count; index++) {
      const record = directory.record(index);
      const { name, kind } = record;
      const context: ZipBodyContext = { zip, reader, record, nextStart: nextStarts[index]!, ledger };
      const small = kind === 'file' && record.compressedSize <= WHOLE_BODY_COMPRESSED_BYTES && record.uncompressedSize <= WHOLE_BODY_MAX_BYTES;
      const openBody = (into = open): Readable => {
        const body = small ? wholeBodyStream(context) : verifiedBody(context);
        into.add(body);
        body.once('close', () => into.delete(body));
        return body;
      };
      const linkTarget = kind === 'symlink' ? await readSmallBody(openBody(), limits.maxMetadataBytes, name) : undefined;
      // Spelled out, no spreads: see the tar reader on what per-entry spreads cost.
      yield {
        name,
        kind,
        size: kind === 'symlink' ? 0 : record.uncompressedSize,
        mode: record.mode,
        mtime: record.mtime,
        linkTarget,
        typeFlag: kind === 'unknown' ? `unix type 0o${((record.externalFileAttributes >>> 16) & 0o170000).toString(8)}` : undefined,
        openBody: kind === 'file' ? () => openBody() : () => new PassThrough().end() as unknown as Readable,
        openDetachedBody: kind === 'file' ? () => openBody(detached) : undefined,
        readBody: small ? wholeBodyPuller(context) : undefined,
      };
      for (const body of open) body.destroy();
    }
    completed = true;
  } finally {
    for (const body of open) body.destroy();
    // Stopped early (an error, a break): nobody will read them. Done: let them finish first.
    if (completed) await Promise.all([...detached].map((body) => finished(body).catch(() => undefined)));
    else for (const body of detached) body.destroy();
    zip.close();
    await releaseIfOwned(source);
  }
}
