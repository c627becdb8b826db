// Deterministic bytes of any length as a stream, for objects too big to hold in memory.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const BLOCK = 1024 * 1024;

/** The 1 MiB block used at position `index`: a cheap, seeded, non-repeating pattern. */
function block(seed: number, index: number): Buffer {
  const buffer = Buffer.allocUnsafe(BLOCK);
  let state = (seed * 2654435761 + index * 40503 + 1) >>> 0;
  for (let i = 0; i < BLOCK; i += 4) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    buffer.writeUInt32LE(state, i);
  }
  return buffer;
}

/** A stream of `bytes` deterministic bytes. */
export function generatedStream(bytes: number, seed = 1): Readable {
  let index = 0;
  let remaining = bytes;
  return new Readable({
    read() {
      if (remaining <= 0) return void this.push(null);
      const next = block(seed, index++);
      const take = Math.min(remaining, BLOCK);
      remaining -= take;
      this.push(take === BLOCK ? next : next.subarray(0, take));
    },
  });
}

/** SHA-256 of {@link generatedStream}'s output, computed by streaming it. */
export async function generatedSha256(bytes: number, seed = 1): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of generatedStream(bytes, seed)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
