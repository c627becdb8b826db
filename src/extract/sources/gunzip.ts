import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { assertRatio } from '../policy/limits.js';
import { ChunkCoalescer } from './coalesce-chunks.js';

/** Counts the bytes that flow through, so the ratio can be judged against what was really read. */
export class ByteCounter extends Transform {
  /** Bytes seen so far. */
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/** The first reads of a gzip: small, so a bomb at the start is judged early (see {@link readAheadBytes}). */
const FIRST_READ_BYTES = 64 * 1024;
/** The largest read: zlib's cost is per write, and 64 KiB writes made a 1 GiB gunzip 1.35x slower than 1 MiB ones. */
const LARGEST_READ_BYTES = 1024 * 1024;
/** zlib's output chunk: what one round trip between the thread pool and this thread carries. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/**
 * How many compressed bytes to read (or gather) ahead when `consumed` have been read. The ratio
 * check counts compressed bytes read, so the read-ahead times the ratio is what a bomb could
 * inflate before it is judged. Reads start at 64 KiB (a bomb in the first megabytes is caught
 * after about 130 MiB at 1,000:1) and grow to a sixteenth of what was read, up to 1 MiB: by then
 * the ratio already allows sixteen times that read, so a larger one lets a bomb go at most a
 * sixteenth further.
 *
 * @example
 * ```ts
 * readAheadBytes(0); // 65536
 * readAheadBytes(64 * 1024 * 1024); // 1048576
 * ```
 */
export function readAheadBytes(consumed: number): number {
  return Math.min(LARGEST_READ_BYTES, Math.max(FIRST_READ_BYTES, Math.floor(consumed / 16)));
}

/** A gunzip whose output is checked against the decompression-ratio limit as it goes. */
export interface CheckedGunzip {
  /** Uncompressed chunks, in order. Throws the limit or zlib's error. */
  chunks: AsyncIterator<Buffer>;
  /** Compressed bytes read so far. */
  compressedBytes(): number;
  /** Stops everything (source included). */
  destroy(): Promise<void>;
}

/**
 * Gunzips `source` (concatenated members are read through, as zlib does by default) and
 * checks the overall ratio of uncompressed to compressed bytes after every chunk.
 *
 * @example
 * ```ts
 * const { chunks } = checkedGunzip(createReadStream('model.tar.gz'), 1000);
 * ```
 */
export function checkedGunzip(source: Readable, maxRatio: number): CheckedGunzip {
  const counter = new ByteCounter();
  // A 1 MiB buffer lets zlib (on the thread pool) decompress ahead while this thread works:
  // bounded memory, but decompression and the rest overlap as GNU tar's separate gzip does.
  // Output chunks of 256 KiB rather than 128: half the round trips between the pool and this
  // thread, 1.1x faster on the 1 GiB model, the 100,000 tiny files and the two huge ones, and
  // no more than 125 MiB of peak RSS on any shape (alternating runs, docs/performance.md).
  // Tried and dropped: a 4 MiB buffer with a 1 MiB input queue cost 10 to 30 MiB of peak RSS on
  // other shapes (16 to 256 KiB files: 107 to 138 MiB), over the 128 MiB aim. The input side
  // stays small: the ratio is judged against compressed bytes read, so little may be read ahead
  // of what has been decompressed.
  // (zlib passes stream options through to its Transform; @types/node only lists zlib's own.)
  const streamOptions = { readableHighWaterMark: 1024 * 1024, writableHighWaterMark: 64 * 1024 } as ZlibOptions;
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES, ...streamOptions });
  // pipeline owns the error handling: a failure anywhere destroys every stage, and the
  // iterator below rethrows it. The promise is observed so nothing is ever unhandled.
  // Tiny source chunks are gathered first: zlib's cost is per write, not per byte.
  // They are gathered up to readAheadBytes while gunzip is still busy: 64 KiB writes (a file
  // stream's, an HTTP body's) cost a third more time than 1 MiB ones.
  const coalescer = new ChunkCoalescer({
    targetBytes: readAheadBytes,
    nextStageIdle: () => counter.writableLength + counter.readableLength + gunzip.writableLength === 0,
  });
  const done = pipeline(source, coalescer, counter, gunzip).catch(() => undefined);
  const inner = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let produced = 0;
  const chunks: AsyncIterator<Buffer> = {
    async next() {
      const result = await inner.next();
      if (!result.done) {
        produced += result.value.length;
        assertRatio(produced, counter.bytes, maxRatio);
      }
      return result;
    },
    async return() {
      source.destroy();
      gunzip.destroy();
      await done;
      return { done: true, value: undefined };
    },
  };
  return {
    chunks,
    compressedBytes: () => counter.bytes,
    async destroy() {
      await chunks.return?.();
    },
  };
}
