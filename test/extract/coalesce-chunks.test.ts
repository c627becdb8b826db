// The coalescer in front of gunzip: tiny chunks are gathered (zlib's cost is per write), big
// ones pass untouched, and no byte is held past the current event-loop turn, so a source that
// pauses mid-way is never left waiting on bytes the coalescer keeps.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkCoalescer, COALESCE_TARGET_BYTES } from '../../src/extract/sources/coalesce-chunks.js';

async function collect(source: Readable): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const coalescer = new ChunkCoalescer();
  coalescer.on('data', (chunk: Buffer) => out.push(chunk));
  await pipeline(source, coalescer);
  return out;
}

describe('ChunkCoalescer', () => {
  it('gathers tiny chunks into few large ones and keeps every byte in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 1, max: 100 }), async (length, size) => {
        const bytes = randomBytes(length);
        const parts: Buffer[] = [];
        for (let at = 0; at < length; at += size) parts.push(bytes.subarray(at, at + size));
        const out = await collect(Readable.from(parts));
        expect(Buffer.concat(out).equals(bytes)).toBe(true);
        // All the parts arrive within a few turns, so they leave in far fewer, larger chunks.
        expect(out.length).toBeLessThanOrEqual(Math.ceil(length / COALESCE_TARGET_BYTES) + Math.ceil(parts.length / 16) + 1);
      }),
      { numRuns: 100 },
    );
  });

  it('passes a large chunk through as it is', async () => {
    const big = randomBytes(COALESCE_TARGET_BYTES * 2);
    const out = await collect(Readable.from([big]));
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(big);
  });

  it('hands on what it has at the end of the turn when the source pauses without ending', async () => {
    const source = new PassThrough();
    const coalescer = new ChunkCoalescer();
    source.pipe(coalescer);
    source.write(Buffer.from('first ten!'));
    const [chunk] = (await once(coalescer, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('first ten!');
    coalescer.destroy();
    source.destroy();
  });

  it('keeps gathering past the turn while the next stage is busy, up to the target, and hands on once it is idle', async () => {
    let busy = true;
    const coalescer = new ChunkCoalescer({ targetBytes: () => 512 * 1024, nextStageIdle: () => !busy });
    const out: Buffer[] = [];
    coalescer.on('data', (chunk: Buffer) => out.push(chunk));
    const turn = () => new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 4; i++) {
      coalescer.write(Buffer.alloc(64 * 1024, i));
      await turn();
    }
    expect(out).toHaveLength(0); // 256 KiB gathered over four turns: the next stage was busy
    busy = false;
    await turn();
    expect(out.map((chunk) => chunk.length)).toEqual([256 * 1024]);
    expect([out[0]![0], out[0]![64 * 1024], out[0]![3 * 64 * 1024]]).toEqual([0, 1, 3]);
    // Busy or not, the target is a cap: eight more 64 KiB chunks leave as one of 512 KiB.
    busy = true;
    for (let i = 0; i < 8; i++) coalescer.write(Buffer.alloc(64 * 1024));
    await turn();
    expect(out.map((chunk) => chunk.length)).toEqual([256 * 1024, 512 * 1024]);
    coalescer.destroy();
  });

  it('feeds gunzip the same bytes whatever the chunking', async () => {
    const plain = Buffer.concat([randomBytes(50_000), Buffer.alloc(200_000)]);
    const gz = gzipSync(plain);
    const parts: Buffer[] = [];
    for (let at = 0; at < gz.length; at += 1) parts.push(gz.subarray(at, at + 1));
    const out: Buffer[] = [];
    await pipeline(Readable.from(parts), new ChunkCoalescer(), createGunzip(), async function* (chunks) {
      for await (const chunk of chunks) out.push(chunk as Buffer);
    });
    expect(Buffer.concat(out).equals(plain)).toBe(true);
  });
});
