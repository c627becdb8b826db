// The demo's sample "model": float32 weights from a seeded generator, so every run with the
// same seed sends the same bytes and the checksums in the evidence can be reproduced.
import { createHash } from 'node:crypto';

/** A generated sample and its checksum. */
export interface SampleModel {
  /** The bytes (little-endian float32 values). */
  data: Buffer;
  /** Lowercase hex SHA-256 of `data`. */
  sha256: string;
}

/** `bytes` (rounded down to whole float32 values) of normally distributed weights. */
export function sampleModel(bytes: number, seed = 42): SampleModel {
  const count = Math.floor(bytes / 4);
  const data = Buffer.alloc(count * 4);
  let state = seed >>> 0 || 1;
  const uniform = () => {
    // xorshift32: small, deterministic, good enough for test weights.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 1) / 4294967297;
  };
  for (let i = 0; i < count; i++) {
    // Box-Muller, scaled like initialised weights.
    const value = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) * 0.05;
    data.writeFloatLE(value, i * 4);
  }
  return { data, sha256: createHash('sha256').update(data).digest('hex') };
}
