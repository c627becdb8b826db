import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatisticsAccumulator } from '../../src/predict/model-statistics.js';

/** The statistics computed the obvious way, over the whole buffer at once. */
function reference(bytes: Uint8Array) {
  const whole = Math.floor(bytes.length / 4);
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + whole * 4));
  const finite = [...values].filter(Number.isFinite);
  return {
    count: finite.length,
    min: finite.length ? Math.min(...finite) : null,
    max: finite.length ? Math.max(...finite) : null,
    // Summed in file order, as the accumulator does, so the two agree exactly.
    mean: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : null,
    nonFinite: values.length - finite.length,
    trailingBytes: bytes.length % 4,
  };
}

describe('StatisticsAccumulator', () => {
  it('gives the same statistics however the bytes are split into chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat({ max: 200 }), { maxLength: 8 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const accumulator = new StatisticsAccumulator();
        let from = 0;
        for (const to of [...points, bytes.length]) {
          accumulator.update(Buffer.from(bytes.subarray(from, to)));
          from = to;
        }
        const { float32, bytes: size } = accumulator.digest();
        const expected = reference(bytes);
        expect(size).toBe(bytes.length);
        expect(float32).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('reports null min, max and mean for a file with no finite value', () => {
    const accumulator = new StatisticsAccumulator();
    accumulator.update(Buffer.from([0x00, 0x00, 0xc0, 0x7f, 0x01]));
    expect(accumulator.digest().float32).toEqual({ count: 0, min: null, max: null, mean: null, nonFinite: 1, trailingBytes: 1 });
  });
});
