// The consumer's "inference": a real computation over every byte of the model, streamed, so any
// size works in flat memory and the result proves the bytes read are the bytes written.
//   sha256   SHA-256 of the whole file
//   bytes    its size
//   float32  the file read as little-endian IEEE-754 float32 values, 4 bytes each, from offset 0
//            (a weight tensor's layout): count of finite values, their min, max and mean;
//            NaN and ±Infinity are counted in `nonFinite` and left out of min/max/mean; the
//            last `bytes % 4` bytes, if any, are `trailingBytes` and not a value.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Summary of the file's bytes read as float32 values. */
export interface Float32Summary {
  /** Finite values seen. */
  count: number;
  /** Smallest finite value, or null when there is none. */
  min: number | null;
  /** Largest finite value, or null when there is none. */
  max: number | null;
  /** Mean of the finite values, or null when there is none. */
  mean: number | null;
  /** NaN and infinite values, not included above. */
  nonFinite: number;
  /** Bytes at the end that do not make a whole value (0 to 3). */
  trailingBytes: number;
}

/** What the consumer computes over a file. */
export interface FileStatistics {
  /** Size in bytes. */
  bytes: number;
  /** Lowercase hex SHA-256. */
  sha256: string;
  /** The float32 summary. */
  float32: Float32Summary;
}

/** Accumulates {@link FileStatistics} chunk by chunk; values may straddle chunk boundaries. */
export class StatisticsAccumulator {
  readonly #hash = createHash('sha256');
  #bytes = 0;
  #count = 0;
  #nonFinite = 0;
  #min = Infinity;
  #max = -Infinity;
  #sum = 0;
  // Up to 3 bytes of a value whose other bytes are in the next chunk.
  readonly #carry = Buffer.alloc(4);
  #carried = 0;

  /** Adds the next chunk of the file. */
  update(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    let offset = 0;
    if (this.#carried > 0) {
      const needed = Math.min(4 - this.#carried, chunk.length);
      chunk.copy(this.#carry, this.#carried, 0, needed);
      this.#carried += needed;
      offset = needed;
      if (this.#carried < 4) return;
      this.#add(this.#carry.readFloatLE(0));
      this.#carried = 0;
    }
    const whole = offset + Math.floor((chunk.length - offset) / 4) * 4;
    for (let i = offset; i < whole; i += 4) this.#add(chunk.readFloatLE(i));
    this.#carried = chunk.length - whole;
    chunk.copy(this.#carry, 0, whole);
  }

  #add(value: number): void {
    if (!Number.isFinite(value)) {
      this.#nonFinite += 1;
      return;
    }
    this.#count += 1;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** The statistics of everything added. */
  digest(): FileStatistics {
    const any = this.#count > 0;
    return {
      bytes: this.#bytes,
      sha256: this.#hash.digest('hex'),
      float32: {
        count: this.#count,
        min: any ? this.#min : null,
        max: any ? this.#max : null,
        mean: any ? this.#sum / this.#count : null,
        nonFinite: this.#nonFinite,
        trailingBytes: this.#carried,
      },
    };
  }
}

/** Computes {@link FileStatistics} for a file by streaming it once. */
export async function computeFileStatistics(path: string, signal?: AbortSignal): Promise<FileStatistics> {
  const accumulator = new StatisticsAccumulator();
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) accumulator.update(chunk as Buffer);
  return accumulator.digest();
}
