// Disk on a real tmpfs: seed property 4 (consuming entries() and deleting each file keeps the
// peak at the largest entry plus a small constant) and real full disks (typed error with true
// numbers, nothing left behind).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsufficientStorageError } from '../../src/errors/index.js';
import { StreamingExtractor, type ExtractorStorage } from '../../src/extract/index.js';
import { KiB, MiB } from '../../src/units.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { buildTarGz, chunked } from './support/build-archives.js';

async function usedBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return (Number(s.blocks) - Number(s.bfree)) * Number(s.bsize);
}

const roundUp = (n: number) => Math.ceil(n / (4 * KiB)) * 4 * KiB;

let tmpfs: Tmpfs | undefined;
let skipReason = '';
let scratch: string;
beforeAll(async () => {
  const mounted = mountTmpfs(24 * MiB);
  if (isMounted(mounted)) tmpfs = mounted;
  else {
    skipReason = mounted.skipReason;
    console.warn(`skipping tmpfs disk tests: ${skipReason}`);
  }
  scratch = await mkdtemp(join(tmpdir(), 'ssa-disk-'));
});
afterAll(async () => {
  tmpfs?.unmount();
  await rm(scratch, { recursive: true, force: true });
});

describe('seed property 4: peak disk is the largest entry, not the archive', () => {
  it('holds for random archives consumed with entries() and deleted after use', async (context) => {
    if (tmpfs === undefined) return context.skip(skipReason);
    const disk = tmpfs.path;
    const extractor = new StreamingExtractor();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 256 * KiB }), { minLength: 1, maxLength: 10 }), async (sizes) => {
        const archive = await buildTarGz(sizes.map((size, i) => ({ name: `dir/f${i}.bin`, body: randomBytes(size) })));
        const baseline = await usedBytes(disk);
        let peak = baseline;
        for await (const entry of extractor.entries(chunked(archive, 16 * KiB))) {
          if (entry.type !== 'file') continue;
          const path = join(disk, 'current.bin');
          await pipeline(entry.body, createWriteStream(path));
          peak = Math.max(peak, await usedBytes(disk));
          await unlink(path);
        }
        const largest = Math.max(...sizes);
        expect(peak - baseline).toBeLessThanOrEqual(roundUp(largest) + 64 * KiB);
        expect(await usedBytes(disk)).toBe(baseline);
      }),
      { numRuns: 100 },
    );
  });

  it('holds for a 16 MiB archive of 2 MiB files, sampled continuously, with extractStreaming + cleanupCallback', async (context) => {
    if (tmpfs === undefined) return context.skip(skipReason);
    const disk = tmpfs.path;
    const files = Array.from({ length: 8 }, (_, i) => ({ name: `weights/shard-${i}.bin`, body: randomBytes(2 * MiB) }));
    const archivePath = join(scratch, 'shards.tar.gz');
    await writeFile(archivePath, await buildTarGz(files));
    const baseline = await usedBytes(disk);
    let peak = baseline;
    const sampler = setInterval(() => void usedBytes(disk).then((u) => (peak = Math.max(peak, u))), 2);
    let states = 0;
    const result = await new StreamingExtractor({ onProgress: () => states++ }).extractStreaming(archivePath, join(disk, 'out'), {
      cleanupCallback: async (_entry, path) => {
        peak = Math.max(peak, await usedBytes(disk));
        await unlink(path);
      },
    });
    clearInterval(sampler);
    expect(result.files).toBe(8);
    expect(result.bytesWritten).toBe(16 * MiB);
    // 16 MiB went through a 24 MiB disk; never more than one 2 MiB file plus folders at a time.
    expect(peak - baseline).toBeLessThanOrEqual(2 * MiB + 256 * KiB);
    expect(states).toBeGreaterThan(8);
    await rm(join(disk, 'out'), { recursive: true });
  });
});

describe('full disks', () => {
  it('fails fast before writing when the estimate does not fit, with the true numbers', async (context) => {
    if (tmpfs === undefined) return context.skip(skipReason);
    const archivePath = join(scratch, 'too-big.tar.gz');
    await writeFile(archivePath, await buildTarGz([{ name: 'big.bin', body: randomBytes(30 * MiB) }]));
    const free = (await statfs(tmpfs.path)).bavail * (await statfs(tmpfs.path)).bsize;
    const error = await new StreamingExtractor().extractStreaming(archivePath, join(tmpfs.path, 'dest')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientStorageError);
    const typed = error as InsufficientStorageError;
    expect(typed.availableBytes).toBe(free);
    expect(typed.requiredBytes).toBeGreaterThanOrEqual(30 * MiB);
    expect(typed.message).toContain('extractSelective');
    expect(await readdir(tmpfs.path)).toEqual([]);
  });

  it('turns a real ENOSPC into InsufficientStorageError and removes the partial output', async (context) => {
    if (tmpfs === undefined) return context.skip(skipReason);
    // A storage manager that always says "plenty" lets the writes reach the real full disk.
    const optimistic: ExtractorStorage = { getAvailableSpace: async () => 1e12, ensureSpace: async () => undefined };
    const archive = await buildTarGz(Array.from({ length: 8 }, (_, i) => ({ name: `part-${i}.bin`, body: randomBytes(4 * MiB) })));
    await writeFile(join(tmpfs.path, 'keep.txt'), 'was here before');
    const before = await usedBytes(tmpfs.path);
    const error = await new StreamingExtractor({ storage: optimistic }).extractStreaming(chunked(archive, 64 * KiB), tmpfs.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientStorageError);
    const typed = error as InsufficientStorageError;
    expect(typed.path).toBe(tmpfs.path);
    expect(typed.availableBytes).toBeLessThan(4 * MiB);
    expect(typed.requiredBytes).toBeGreaterThan(typed.availableBytes);
    expect((typed.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(await readdir(tmpfs.path)).toEqual(['keep.txt']);
    expect(await usedBytes(tmpfs.path)).toBe(before);
    await unlink(join(tmpfs.path, 'keep.txt'));
  });

  it('stops during extraction when the running check finds the disk too small for what is left', async (context) => {
    if (tmpfs === undefined) return context.skip(skipReason);
    const archive = await buildTarGz(Array.from({ length: 4 }, (_, i) => ({ name: `part-${i}.bin`, body: randomBytes(7 * MiB) })));
    // A stream cannot be estimated up front: the guard catches it from the entry sizes.
    const error = await new StreamingExtractor().extractStreaming(chunked(archive, 64 * KiB), join(tmpfs.path, 'dest')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientStorageError);
    expect((error as InsufficientStorageError).cause).toBeUndefined();
    expect(await readdir(tmpfs.path)).toEqual([]);
  });
});
