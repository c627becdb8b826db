// zlib pays a fixed cost for every write (a round trip to the thread pool, about 30 µs), so a
// source that hands over tiny chunks (1 to 64 bytes: some HTTP clients, a hand-rolled
// Readable) made gunzip about 1,000 times slower than 64 KiB chunks: 100 KB of tar.gz in 1-byte
// chunks took 3.8 s. Small chunks are gathered here, up to 64 KiB or the end of the current
// event-loop turn, whichever comes first, so nothing waits for bytes that are not coming.
import { Transform, type TransformCallback } from 'node:stream';

/** Chunks at least this large pass straight through; smaller ones are gathered up to it. */
export const COALESCE_TARGET_BYTES = 64 * 1024;

/**
 * Gathers small chunks into larger ones without holding any byte past the current turn.
 *
 * @example
 * ```ts
 * await pipeline(tinyChunkSource, new ChunkCoalescer(), createGunzip(), sink);
 * ```
 */
export class ChunkCoalescer extends Transform {
  #parts: Buffer[] = [];
  #bytes = 0;
  #timer: NodeJS.Immediate | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#bytes === 0 && chunk.length >= COALESCE_TARGET_BYTES) return callback(null, chunk);
    this.#parts.push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes >= COALESCE_TARGET_BYTES) this.#pushGathered();
    else this.#timer ??= setImmediate(() => {
      this.#timer = undefined;
      if (!this.destroyed) this.#pushGathered();
    });
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#pushGathered();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#cancelTimer();
    this.#parts = [];
    callback(error);
  }

  #pushGathered(): void {
    this.#cancelTimer();
    if (this.#bytes === 0) return;
    const gathered = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#bytes);
    this.#parts = [];
    this.#bytes = 0;
    this.push(gathered);
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
  }
}
