// Turns whatever the caller gave (a path, a Readable, a RandomAccessSource) into what a
// reader needs: pull-based tar bytes for tar and tar.gz, random access for zip.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ExtractionError } from '../../errors/index.js';
import { DETECT_BYTES, detectFormat } from '../detect-format.js';
import type { ExtractionLimits } from '../policy/limits.js';
import { ChunkByteReader, FileByteReader, type ByteReader } from '../readers/byte-reader.js';
import type { ArchiveFormat, ArchiveSource, RandomAccessSource } from '../types.js';
import { checkedGunzip, ByteCounter, readAheadBytes } from './gunzip.js';
import { workerGunzip } from './gunzip-worker.js';
import { readFileRange, readSourceRange } from './read-range.js';
import { openArchiveFile } from './open-archive-file.js';

const READ_CHUNK = 256 * 1024;

/** An archive ready for its reader. */
export type OpenedArchive =
  | {
      format: 'tar' | 'tar.gz';
      /** The uncompressed tar bytes. */
      reader: ByteReader;
      /** Compressed (archive) bytes read so far. */
      compressedBytes(): number;
      /** The archive's size in bytes, when known. */
      archiveBytes: number | undefined;
      /** A label for messages. */
      label: string | undefined;
    }
  | {
      format: 'zip';
      /** Random access to the zip's bytes. */
      source: RandomAccessSource;
      /** A label for messages. */
      label: string | undefined;
    };

/** How {@link openArchive} reads. */
export interface OpenArchiveOptions {
  /** Inflate a tar.gz on a worker thread ({@link workerGunzip}) instead of on this thread's zlib. */
  gunzipWorker?: boolean;
}

/** True when `value` looks like a {@link RandomAccessSource} rather than a stream or a path. */
export function isRandomAccessSource(value: ArchiveSource): value is RandomAccessSource {
  return typeof value === 'object' && value !== null && typeof (value as RandomAccessSource).createReadStream === 'function' && typeof (value as RandomAccessSource).size === 'number' && !(value instanceof Readable);
}

/** Describes an archive source for messages: its path or name. */
export function describeSource(archive: ArchiveSource): string | undefined {
  if (typeof archive === 'string') return archive;
  if (isRandomAccessSource(archive)) return archive.name;
  return undefined;
}

/**
 * Reads the first bytes of a stream and gives back an iterator that still yields them:
 * nothing is lost to detection.
 */
async function peekStream(stream: Readable, want: number): Promise<{ head: Buffer; chunks: AsyncIterator<Buffer> }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const seen: Buffer[] = [];
  let have = 0;
  let ended = false;
  while (have < want) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    seen.push(chunk);
    have += chunk.length;
  }
  const head = Buffer.concat(seen, have);
  let replayed = false;
  const chunks: AsyncIterator<Buffer> = {
    async next() {
      if (!replayed) {
        replayed = true;
        if (head.length > 0) return { done: false, value: head };
      }
      if (ended) return { done: true, value: undefined };
      return iterator.next();
    },
    async return() {
      stream.destroy();
      await iterator.return?.();
      return { done: true, value: undefined };
    },
  };
  return { head, chunks };
}

function iteratorToReadable(chunks: AsyncIterator<Buffer>): Readable {
  return Readable.from({ [Symbol.asyncIterator]: () => chunks }, { objectMode: false });
}

function notRandomAccess(label: string | undefined): ExtractionError {
  return new ExtractionError('a zip cannot be read from a stream: its directory is at the end', {
    reason: 'UNSUPPORTED_FORMAT',
    ...(label === undefined ? {} : { archivePath: label }),
    suggestion: 'pass a file path, or a RandomAccessSource such as s3RandomAccessSource() for an object in S3',
  });
}

/** The tar and tar.gz half of {@link openArchive}, from a stream of archive bytes. */
function openTarStream(format: ArchiveFormat, chunks: AsyncIterator<Buffer>, limits: ExtractionLimits, label: string | undefined, archiveBytes: number | undefined, gunzipWorker: boolean): OpenedArchive {
  if (format === 'tar.gz') {
    const source = iteratorToReadable(chunks);
    const gunzip = gunzipWorker ? workerGunzip({ stream: source }, limits.maxCompressionRatio) : checkedGunzip(source, limits.maxCompressionRatio);
    return { format, reader: new ChunkByteReader(gunzip.chunks), compressedBytes: gunzip.compressedBytes, archiveBytes, label };
  }
  const counter = new ByteCounter();
  const counted: AsyncIterator<Buffer> = {
    async next() {
      const result = await chunks.next();
      if (!result.done) counter.bytes += result.value.length;
      return result;
    },
    return: async () => (await chunks.return?.()) ?? { done: true, value: undefined },
  };
  return { format: 'tar', reader: new ChunkByteReader(counted), compressedBytes: () => counter.bytes, archiveBytes, label };
}

/** A local file's bytes in reads sized by {@link readAheadBytes}; the handle is closed when the iteration ends, however it ends. */
async function* growingReads(handle: FileHandle): AsyncGenerator<Buffer, void, undefined> {
  let position = 0;
  try {
    for (;;) {
      const length = readAheadBytes(position);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Opens an archive for reading: detects the format from its first bytes and sets up the
 * matching byte source. The caller closes what it gets (the reader's `close()`).
 *
 * @example
 * ```ts
 * const opened = await openArchive('model.tar.gz', DEFAULT_LIMITS);
 * ```
 */
export async function openArchive(archive: ArchiveSource, limits: ExtractionLimits, options: OpenArchiveOptions = {}): Promise<OpenedArchive> {
  const label = describeSource(archive);
  if (typeof archive === 'string') {
    const { handle, size } = await openArchiveFile(archive);
    try {
      const format = detectFormat(await readFileRange(handle, 0, Math.min(DETECT_BYTES, size)), label);
      if (format === 'zip') return { format, source: handleRangeSource(handle, archive, size), label };
      if (format === 'tar') {
        const reader = new FileByteReader(handle, size);
        return { format, reader, compressedBytes: () => reader.position, archiveBytes: size, label };
      }
      if (options.gunzipWorker) {
        // The worker reads the file itself; the handle is closed once it has stopped.
        const gunzip = workerGunzip({ fd: handle.fd }, limits.maxCompressionRatio);
        return { format, reader: new ChunkByteReader(gunzip.chunks, () => handle.close()), compressedBytes: gunzip.compressedBytes, archiveBytes: size, label };
      }
      return openTarStream(format, growingReads(handle), limits, label, size, false);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }
  if (isRandomAccessSource(archive)) {
    const format = detectFormat(await readSourceRange(archive, 0, Math.min(DETECT_BYTES, archive.size)), label);
    if (format === 'zip') return { format, source: archive, label };
    const whole = archive.createReadStream(0, archive.size);
    return openTarStream(format, whole[Symbol.asyncIterator]() as AsyncIterator<Buffer>, limits, label, archive.size, options.gunzipWorker === true);
  }
  const { head, chunks } = await peekStream(archive, DETECT_BYTES);
  let format: ArchiveFormat;
  try {
    format = detectFormat(head.subarray(0, DETECT_BYTES), label);
    if (format === 'zip') throw notRandomAccess(label);
  } catch (error) {
    await chunks.return?.();
    throw error;
  }
  return openTarStream(format, chunks, limits, label, undefined, options.gunzipWorker === true);
}

/** A {@link RandomAccessSource} over a local file of known size, opened per range. */
export function fileRangeSource(path: string, size: number): RandomAccessSource {
  return {
    size,
    name: path,
    createReadStream: (start, end) =>
      end <= start ? Readable.from([]) : createReadStream(path, { start, end: end - 1, highWaterMark: READ_CHUNK }),
  };
}

/** A source the library opened itself and must release (unlike a caller's, which it never closes). */
export interface OwnedRandomAccessSource extends RandomAccessSource {
  /** Closes what the library opened. */
  release(): Promise<void>;
}

/** Releases `source` if the library opened it; a caller's source is left alone. */
export async function releaseIfOwned(source: RandomAccessSource): Promise<void> {
  await (source as Partial<OwnedRandomAccessSource>).release?.();
}

/**
 * Ranges of a local file read with positional reads on one open descriptor: no open/close per
 * range, which matters for a zip of thousands of small entries (a local header and a body each).
 */
export function handleRangeSource(handle: FileHandle, path: string, size: number): OwnedRandomAccessSource {
  return {
    size,
    name: path,
    release: () => handle.close().catch(() => undefined),
    createReadStream(start: number, end: number): Readable {
      let position = start;
      return new Readable({
        highWaterMark: READ_CHUNK,
        read() {
          const length = Math.min(READ_CHUNK, end - position);
          if (length <= 0) {
            this.push(null);
            return;
          }
          const buffer = Buffer.allocUnsafe(length);
          handle.read(buffer, 0, length, position).then(
            ({ bytesRead }) => {
              if (bytesRead === 0) {
                this.destroy(new Error(`unexpected end of file at byte ${position} of ${path}`));
                return;
              }
              position += bytesRead;
              this.push(buffer.subarray(0, bytesRead));
              if (position >= end) this.push(null);
            },
            (error: unknown) => this.destroy(error as Error),
          );
        },
      });
    },
  };
}
