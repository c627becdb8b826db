// Reads a tar stream (ustar, GNU, PAX, v7) one entry at a time from a pull-based ByteReader.
// The next header is only read once the previous body has been consumed or skipped, so the
// consumer's pace is the reader's pace.
import { Readable } from 'node:stream';
import { ExtractionError, isStorageError } from '../../errors/index.js';
import { assertWithinLimit, type ExtractionLimits } from '../policy/limits.js';
import type { ByteReader } from './byte-reader.js';
import type { RawEntry } from './raw-entry.js';
import { BLOCK_SIZE, decodeTarHeader, parsePaxRecords, type TarHeader } from './tar-header.js';

/** More metadata records than this in a row before one entry is not an archive, it is an attack. */
const MAX_CONSECUTIVE_METADATA = 16;
const BODY_CHUNK = 256 * 1024;

function corrupt(message: string, entryPath?: string, cause?: unknown): ExtractionError {
  return new ExtractionError(message, {
    reason: 'CORRUPT',
    ...(entryPath === undefined ? {} : { entryPath }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Wraps a low-level read failure (zlib's "unexpected end of file") as `CORRUPT`, keeping ours as they are. */
export function asExtractionError(error: unknown, entryPath?: string, where = ''): unknown {
  if (isStorageError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return corrupt(`archive could not be read${where}: ${message}`, entryPath, error);
}

/** Where the input ended when it ended between entries: the last entry is whole, so it is named as context, not as the cut one. */
function afterEntry(name: string): string {
  return name === '' ? ' before its first entry' : ` after the last complete entry ${JSON.stringify(name)}`;
}

function padding(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

interface Pending {
  pax?: Record<string, string>;
  longName?: string;
  longLink?: string;
}

/**
 * Yields each entry of a tar. A body not consumed by the time the next entry is asked for is
 * skipped (on a file, without reading it). The reader is closed when the generator ends,
 * however it ends.
 *
 * @example
 * ```ts
 * for await (const raw of readTarEntries(reader, DEFAULT_LIMITS)) console.log(raw.name);
 * ```
 */
export async function* readTarEntries(
  reader: ByteReader,
  limits: Pick<ExtractionLimits, 'maxMetadataBytes'>,
): AsyncGenerator<RawEntry, void, undefined> {
  let pending: Pending = {};
  let metadataInARow = 0;
  let bodyLeft = 0;
  let paddingLeft = 0;
  let current = '';
  let activeBody: Readable | undefined;
  // A body's read() may still be waiting on the byte reader when the caller moves on. It must
  // settle before we skip, or the two calls race on one reader and the next header is read at
  // the wrong offset (found by fuzzing: test/fixtures/fuzz/half-read-body-then-next-entry-*).
  let bodyRead: Promise<void> | undefined;
  try {
    for (;;) {
      if (activeBody !== undefined && !activeBody.destroyed && !activeBody.readableEnded) {
        // The caller moved on without finishing the body: stop it and skip what is left.
        activeBody.destroy();
      }
      activeBody = undefined;
      if (bodyRead !== undefined) await bodyRead;
      bodyRead = undefined;
      const toSkip = bodyLeft + paddingLeft;
      if (toSkip > 0) {
        const skipped = await reader.skip(toSkip).catch((e: unknown) => Promise.reject(asExtractionError(e, current)));
        if (skipped < bodyLeft) throw corrupt(`archive ends inside an entry's body (${bodyLeft - skipped} bytes missing)`, current);
        bodyLeft = paddingLeft = 0;
      }
      // Every body so far is whole here: a cut at this point is not inside `current`.
      const block = await reader.readExactly(BLOCK_SIZE).catch((e: unknown) => Promise.reject(asExtractionError(e, undefined, afterEntry(current))));
      if (block.length === 0) throw corrupt(`archive ends without its end-of-archive blocks (truncated?)${afterEntry(current)}`);
      if (block.length < BLOCK_SIZE) throw corrupt(`archive ends inside a header (${block.length} of ${BLOCK_SIZE} bytes)${afterEntry(current)}`);
      const header = decodeTarHeader(block);
      if (header === null) {
        // The end-of-archive marker. What follows is padding, but a gzip's trailer is checked
        // only once its last bytes are read: without this a tar.gz cut in its trailer passed.
        await reader.finish().catch((e: unknown) => Promise.reject(asExtractionError(e, undefined, ' after its end-of-archive marker (the compressed stream is cut or damaged)')));
        return;
      }
      if (isMetadata(header)) {
        if (++metadataInARow > MAX_CONSECUTIVE_METADATA) {
          throw corrupt(`more than ${MAX_CONSECUTIVE_METADATA} metadata records in a row`, header.name);
        }
        assertWithinLimit('maxMetadataBytes', header.size, limits.maxMetadataBytes, header.name);
        const body = await reader.readExactly(header.size).catch((e: unknown) => Promise.reject(asExtractionError(e, header.name)));
        if (body.length < header.size) throw corrupt('archive ends inside a metadata record', header.name);
        const skippedPadding = await reader.skip(padding(header.size)).catch((e: unknown) => Promise.reject(asExtractionError(e, header.name)));
        if (skippedPadding < padding(header.size)) throw corrupt('archive ends inside a metadata record', header.name);
        applyMetadata(pending, header, body);
        continue;
      }
      metadataInARow = 0;
      const entry = buildEntry(header, pending);
      pending = {};
      current = entry.name;
      bodyLeft = entry.kind === 'file' || entry.kind === 'unknown' ? entry.size : header.size;
      paddingLeft = padding(bodyLeft);
      const name = entry.name;
      const size = bodyLeft;
      let opened = false;
      const open = () => {
        if (opened) throw new Error(`body of ${name} opened twice`);
        opened = true;
      };
      let pulling = false;
      /** The next bytes of the body, `null` at its end; the one place a body is read. */
      const readBody = (max: number): Promise<Buffer | null> => {
        if (bodyLeft === 0) return Promise.resolve(null);
        const read = reader.readUpTo(Math.min(bodyLeft, max)).then(
          (chunk) => {
            if (chunk === null) throw corrupt(`archive ends inside the body: ${bodyLeft} of ${size} bytes missing`, name);
            // Counted before anyone waiting on bodyRead resumes: the skip after it must see it.
            bodyLeft -= chunk.length;
            return chunk;
          },
          (error: unknown) => Promise.reject(asExtractionError(error, name)),
        );
        bodyRead = read.then(
          () => undefined,
          () => undefined,
        );
        return read;
      };
      // Spelled out, not `{ ...entry, readBody, openBody }`: measured on 100,000 tiny entries,
      // with that spread each entry's fields outlived young collections (about 350 bytes an
      // entry promoted, garbage only a full collection frees); spelled out, 35 times less
      // (docs/performance.md, "Memory").
      yield {
        name: entry.name,
        kind: entry.kind,
        size: entry.size,
        mode: entry.mode,
        mtime: entry.mtime,
        linkTarget: entry.linkTarget,
        typeFlag: entry.typeFlag,
        readBody: (max: number) => {
          if (!pulling) open();
          pulling = true;
          return readBody(max);
        },
        openBody: () => {
          open();
          activeBody = new Readable({
            highWaterMark: BODY_CHUNK,
            read() {
              readBody(BODY_CHUNK).then(
                (chunk) => {
                  this.push(chunk);
                  if (chunk !== null && bodyLeft === 0) this.push(null);
                },
                (error: unknown) => this.destroy(error as Error),
              );
            },
          });
          return activeBody;
        },
      };
    }
  } finally {
    activeBody?.destroy();
    await bodyRead;
    await reader.close();
  }
}

/** True when `seconds` since the epoch fits in a `Date` (±8.64e12 s); anything else is an Invalid Date. */
function isDateSeconds(seconds: number): boolean {
  return Number.isFinite(seconds) && Math.abs(seconds) <= 8.64e12;
}

function isMetadata(header: TarHeader): boolean {
  return header.kind === 'pax' || header.kind === 'pax-global' || header.kind === 'gnu-long-name' || header.kind === 'gnu-long-link';
}

function applyMetadata(pending: Pending, header: TarHeader, body: Buffer): void {
  switch (header.kind) {
    case 'pax':
      pending.pax = { ...pending.pax, ...parsePaxRecords(body, header.name) };
      break;
    case 'pax-global':
      // Global records would rename every later entry; we validate them but apply none.
      parsePaxRecords(body, header.name);
      break;
    case 'gnu-long-name':
      pending.longName = nulTerminated(body);
      break;
    case 'gnu-long-link':
      pending.longLink = nulTerminated(body);
      break;
    default:
      break;
  }
}

function nulTerminated(body: Buffer): string {
  const end = body.indexOf(0);
  return body.toString('utf8', 0, end === -1 ? body.length : end);
}

function buildEntry(header: TarHeader, pending: Pending): Omit<RawEntry, 'openBody'> {
  const pax = pending.pax ?? {};
  // Later, more specific sources win: PAX over GNU long names over the header fields. The
  // safety policy sees only this final name.
  const name = pax.path ?? pending.longName ?? header.name;
  const linkTarget = pax.linkpath ?? pending.longLink ?? header.linkName;
  let size = header.size;
  if (pax.size !== undefined) {
    if (!/^\d+$/.test(pax.size) || !Number.isSafeInteger(Number(pax.size))) {
      throw corrupt(`PAX size is not a non-negative integer (${JSON.stringify(pax.size)})`, name);
    }
    size = Number(pax.size);
  }
  let mtimeSeconds = header.mtimeSeconds;
  if (pax.mtime !== undefined && isDateSeconds(Number(pax.mtime))) mtimeSeconds = Number(pax.mtime);
  if (!isDateSeconds(mtimeSeconds)) throw corrupt(`modification time ${mtimeSeconds} s is out of range`, name);
  const kind = header.kind as RawEntry['kind'];
  return {
    name,
    kind,
    size,
    mode: header.mode,
    mtime: new Date(mtimeSeconds * 1000),
    linkTarget: kind === 'symlink' || kind === 'hardlink' ? linkTarget : undefined,
    typeFlag: kind === 'unknown' ? header.typeFlag : undefined,
  };
}
