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
  // A 1 MiB buffer lets zlib (on the thread pool) decompress ahead while the writer works:
  // bounded memory, but decompression and writing overlap as GNU tar's separate gzip does.
  // The input side stays small: the ratio is judged against compressed bytes read, so little
  // may be read ahead of what has been decompressed.
  // (zlib passes stream options through to its Transform; @types/node only lists zlib's own.)
  const streamOptions = { readableHighWaterMark: 1024 * 1024, writableHighWaterMark: 64 * 1024 } as ZlibOptions;
  const gunzip = createGunzip({ chunkSize: 128 * 1024, ...streamOptions });
  // pipeline owns the error handling: a failure anywhere destroys every stage, and the
  // iterator below rethrows it. The promise is observed so nothing is ever unhandled.
  // Tiny source chunks are gathered first: zlib's cost is per write, not per byte.
  const done = pipeline(source, new ChunkCoalescer(), counter, gunzip).catch(() => undefined);
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
