// Archive shapes that real users have, beside the compiled-model fixture: thousands of small
// files, a few huge ones, and a mix. Deterministic (the same seed gives the same bytes), cached
// under bench/.data, and generated as they are written (no file is held in memory).
//
// Every file is half noise, half zeros (the noise from xorshift32), so deflate saves about half:
// the worst case for 'auto', which must sample and deflate everything.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';

/** A group of files of one size (or a seeded size in `[min, max]`). */
export interface FileGroup {
  count: number;
  bytes: number | [min: number, max: number];
  folder: string;
}

/** One archive shape. */
export interface Shape {
  name: string;
  description: string;
  groups: FileGroup[];
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * The shapes of docs/performance.md. `quick` scales them down (a tenth of the entries, huge
 * files of 64 MiB) for a run of a few minutes.
 */
export function shapes(quick: boolean): Shape[] {
  const n = (count: number) => (quick ? Math.max(1, Math.round(count / 10)) : count);
  return [
    { name: `small-${n(100_000)}x1KiB`, description: `${n(100_000).toLocaleString('en')} files of 1 KiB`, groups: [{ count: n(100_000), bytes: KiB, folder: 'tokens' }] },
    { name: `medium-${n(12_000)}x48KiB`, description: `${n(12_000).toLocaleString('en')} files of 48 KiB`, groups: [{ count: n(12_000), bytes: 48 * KiB, folder: 'tensors' }] },
    { name: `varied-${n(10_000)}x16-256KiB`, description: `${n(10_000).toLocaleString('en')} files of 16–256 KiB`, groups: [{ count: n(10_000), bytes: [16 * KiB, 256 * KiB], folder: 'shards' }] },
    { name: quick ? 'huge-2x64MiB' : 'huge-2x1GiB', description: quick ? '2 files of 64 MiB' : '2 files of 1 GiB', groups: [{ count: 2, bytes: quick ? 64 * MiB : GiB, folder: 'weights' }] },
    {
      name: `mixed-${n(7_000) + 4}`,
      description: `4 files of ${quick ? 16 : 128} MiB, ${n(5_000).toLocaleString('en')} of 4 KiB, ${n(2_000).toLocaleString('en')} of 64 KiB`,
      groups: [
        { count: 4, bytes: (quick ? 16 : 128) * MiB, folder: 'weights' },
        { count: n(5_000), bytes: 4 * KiB, folder: 'config' },
        { count: n(2_000), bytes: 64 * KiB, folder: 'tables' },
      ],
    },
  ];
}

/** Entries in `shape`. */
export function entryCount(shape: Shape): number {
  return shape.groups.reduce((sum, g) => sum + g.count, 0);
}

/** Writes `shape` as a tar.gz at `outPath` (gzip level 6, as SageMaker does) unless it is there. */
export async function generateShape(shape: Shape, outPath: string, seed = 1): Promise<{ path: string; bytes: number; uncompressedBytes: number }> {
  let uncompressed = 0;
  if (!existsSync(outPath)) {
    await mkdir(dirname(outPath), { recursive: true });
    const partial = `${outPath}.partial-${process.pid}`;
    try {
      const pack = tarStream.pack();
      const done = pipeline(pack, createGzip({ level: 6 }), createWriteStream(partial));
      const random = xorshift(seed);
      for (const group of shape.groups) {
        pack.entry({ name: `${group.folder}/`, type: 'directory', mode: 0o755, mtime: FIXED_MTIME });
        for (let i = 0; i < group.count; i++) {
          const size = typeof group.bytes === 'number' ? group.bytes : group.bytes[0] + (random() % (group.bytes[1] - group.bytes[0] + 1));
          await writeEntry(pack, `${group.folder}/${String(i).padStart(6, '0')}.bin`, size, random());
        }
      }
      pack.finalize();
      await done;
      await rename(partial, outPath);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }
  // The uncompressed size is known from the plan; recompute it without writing.
  const random = xorshift(seed);
  for (const group of shape.groups) {
    for (let i = 0; i < group.count; i++) {
      uncompressed += typeof group.bytes === 'number' ? group.bytes : group.bytes[0] + (random() % (group.bytes[1] - group.bytes[0] + 1));
      random();
    }
  }
  return { path: outPath, bytes: (await stat(outPath)).size, uncompressedBytes: uncompressed };
}

const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');
const BLOCK = MiB;

/** One file: its first half noise from `seed`, its second half zeros, written block by block. */
async function writeEntry(pack: tarStream.Pack, name: string, size: number, seed: number): Promise<void> {
  const random = xorshift(seed);
  const half = Math.floor(size / 2);
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ name, size, mode: 0o644, mtime: FIXED_MTIME }, (error) => (error ? reject(error) : resolve()));
    void (async () => {
      for (let offset = 0; offset < size; offset += BLOCK) {
        const length = Math.min(BLOCK, size - offset);
        const chunk = Buffer.alloc(length);
        const noise = Math.max(0, Math.min(length, half - offset));
        const words = new Uint32Array(chunk.buffer, chunk.byteOffset, noise >>> 2);
        for (let i = 0; i < words.length; i++) words[i] = random();
        for (let i = words.length * 4; i < noise; i++) chunk[i] = random() & 0xff;
        if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()));
      }
      // streamx's end() takes no data here; its typings ask for some.
      (sink as unknown as { end(): void }).end();
    })().catch(reject);
  });
}

/** xorshift32: fast, deterministic, good enough for filler bytes. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 0x2545f491;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}
