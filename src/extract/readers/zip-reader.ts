// Reads a zip through yauzl with random access: the central directory first (all of it, so
// overlaps are refused before a byte is written), then each entry's local header and data
// only when its body is asked for. Names are decoded by us (yauzl's strictFileNames turns
// backslashes into slashes, hiding `..\\` traversals from the policy).
import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ExtractionError } from '../../errors/index.js';
import { assertRatio, assertWithinLimit, type ExtractionLimits } from '../policy/limits.js';
import type { RandomAccessSource } from '../types.js';
import type { RawEntry, RawEntryKind } from './raw-entry.js';
import { asExtractionError } from './tar-reader.js';
import { RangedReader } from './ranged-reader.js';
import { releaseIfOwned } from '../sources/open-archive.js';
import { assertDisjointSpans, LOCAL_HEADER_FIXED_BYTES, nextRecordStarts, type EntrySpan } from './zip-layout.js';
import { ZipEntryVerifier, type RatioLedger } from './zip-verifier.js';

const YAUZL_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  decodeStrings: false,
  validateEntrySizes: true,
  strictFileNames: true,
};

/** Opens a zip with our options, reading through the frugal {@link RangedReader}. */
export async function openZip(source: RandomAccessSource, label: string | undefined): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.fromRandomAccessReaderPromise(new RangedReader(source), source.size, YAUZL_OPTIONS);
  } catch (error) {
    throw new ExtractionError(`zip could not be opened: ${(error as Error).message}`, {
      reason: 'CORRUPT',
      ...(label === undefined ? {} : { archivePath: label }),
      cause: error,
    });
  }
}

/** Reads every central-directory record (yauzl keeps none in memory beyond what we hold). */
export async function readCentralDirectory(zip: yauzl.ZipFile, limits: Pick<ExtractionLimits, 'maxEntries'>, label?: string): Promise<yauzl.Entry[]> {
  assertWithinLimit('maxEntries', zip.entryCount, limits.maxEntries);
  const records: yauzl.Entry[] = [];
  try {
    for await (const record of zip.eachEntry()) records.push(record);
  } catch (error) {
    throw new ExtractionError(`zip central directory is unreadable: ${(error as Error).message}`, {
      reason: 'CORRUPT',
      ...(label === undefined ? {} : { archivePath: label }),
      cause: error,
    });
  }
  return records;
}

/** The entry's final name: the Info-ZIP Unicode Path extra field (0x7075) wins when its CRC matches. */
export function zipEntryName(record: yauzl.Entry): string {
  return yauzl.getFileNameLowLevel(record.generalPurposeBitFlag, record.fileNameRaw, record.extraFields, true);
}

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

/** Kind and mode from the external attributes (Unix high 16 bits) and the trailing slash. */
export function zipEntryKind(record: yauzl.Entry, name: string): { kind: RawEntryKind; mode: number } {
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

/** Everything needed to open one entry's data with checks. */
interface ZipBodyContext {
  zip: yauzl.ZipFile;
  record: yauzl.Entry;
  name: string;
  nextStart: number;
  ledger: RatioLedger;
}

async function openVerifiedStream(context: ZipBodyContext): Promise<Readable> {
  const { zip, record, name, nextStart } = context;
  if (record.isEncrypted()) throw new ExtractionError('encrypted zip entries are not supported', { reason: 'UNSUPPORTED_FORMAT', entryPath: name });
  if (record.compressionMethod !== 0 && record.compressionMethod !== 8) {
    throw new ExtractionError(`zip compression method ${record.compressionMethod} is not supported (only store and deflate)`, { reason: 'UNSUPPORTED_FORMAT', entryPath: name });
  }
  const local = await zip.readLocalFileHeaderPromise(record);
  if (!local.fileName.equals(record.fileNameRaw)) {
    throw new ExtractionError(`local header names ${JSON.stringify(local.fileName.toString('utf8'))} but the central directory names it otherwise`, {
      reason: 'CORRUPT',
      entryPath: name,
      suggestion: 'the two names of one entry differ, a trick to show one name to a checker and write another; do not trust this archive',
    });
  }
  const dataEnd = local.fileDataStart + record.compressedSize;
  if (dataEnd > nextStart) {
    throw new ExtractionError(`entry data [${local.fileDataStart}, ${dataEnd}) runs into the next record at ${nextStart}`, {
      reason: 'OVERLAPPING_ENTRIES',
      entryPath: name,
    });
  }
  context.ledger.consumed += record.compressedSize;
  return new Promise<Readable>((resolve, reject) => {
    // yauzl stops an inflate that runs past the declared size; our verifier checks the rest.
    zip.openReadStreamLowLevel(local.fileDataStart, record.compressedSize, 0, record.compressedSize, record.compressionMethod === 8, record.uncompressedSize, (error, stream) =>
      error ? reject(error) : resolve(stream),
    );
  });
}

/** yauzl's byte-count assertion means the declared size lied; anything else is corruption. */
function zipStreamError(error: unknown, name: string): Error {
  if (error instanceof Error && /bytes in the stream/.test(error.message)) {
    return new ExtractionError(`entry does not match its declared size: ${error.message}`, { reason: 'SIZE_MISMATCH', entryPath: name, cause: error });
  }
  return asExtractionError(error, name) as Error;
}

function verifiedBody(context: ZipBodyContext): Readable {
  const { record, name, ledger } = context;
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
  try {
    zip = await openZip(source, label);
  } catch (error) {
    await releaseIfOwned(source);
    throw error;
  }
  const open = new Set<Readable>();
  // Bodies read alongside later entries (concurrent extraction): the archive stays open for them.
  const detached = new Set<Readable>();
  let completed = false;
  try {
    const centralDirectoryOffset = (zip as unknown as { readEntryCursor: number }).readEntryCursor;
    const records = await readCentralDirectory(zip, limits, label);
    const spans: EntrySpan[] = records.map((record) => ({
      name: zipEntryName(record),
      start: record.relativeOffsetOfLocalHeader,
      end: record.relativeOffsetOfLocalHeader + LOCAL_HEADER_FIXED_BYTES + record.fileNameLength + record.compressedSize,
    }));
    assertDisjointSpans(spans, centralDirectoryOffset);
    const nextStarts = nextRecordStarts(spans, centralDirectoryOffset);
    const ledger: RatioLedger = {
      produced: 0,
      consumed: 0,
      check: (entryPath) => assertRatio(ledger.produced, ledger.consumed, limits.maxCompressionRatio, entryPath),
    };
    for (const record of records) {
      const name = zipEntryName(record);
      const { kind, mode } = zipEntryKind(record, name);
      const context: ZipBodyContext = { zip, record, name, nextStart: nextStarts.get(record.relativeOffsetOfLocalHeader) ?? centralDirectoryOffset, ledger };
      const openBody = (into = open): Readable => {
        const body = verifiedBody(context);
        into.add(body);
        body.once('close', () => into.delete(body));
        return body;
      };
      let linkTarget: string | undefined;
      if (kind === 'symlink') linkTarget = await readSmallBody(openBody(), limits.maxMetadataBytes, name);
      yield {
        name,
        kind,
        size: kind === 'symlink' ? 0 : record.uncompressedSize,
        mode,
        mtime: record.getLastModDate(),
        ...(linkTarget === undefined ? {} : { linkTarget }),
        ...(kind === 'unknown' ? { typeFlag: `unix type 0o${((record.externalFileAttributes >>> 16) & 0o170000).toString(8)}` } : {}),
        openBody: kind === 'file' ? () => openBody() : () => new PassThrough().end() as unknown as Readable,
        ...(kind === 'file' ? { openDetachedBody: () => openBody(detached) } : {}),
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
