// A zip's files are written several at a time. That must change nothing but the speed: the same
// tree (bytes, modes, times, links), the same refusals, the same cleanup, the same full-disk error.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ExtractionError, InsufficientStorageError } from '../../src/errors/index.js';
import { StreamingExtractor } from '../../src/extract/index.js';
import { readDiskSpace } from '../../src/storage/disk-space.js';
import { isMounted, mountTmpfs } from '../support/tmpfs.js';
import { buildZip, type TestEntry } from './support/build-archives.js';
import { rawZip } from './support/raw-zip.js';
import { snapshotTree } from './support/tree.js';

const work = mkdtempSync(join(tmpdir(), 'ssa-concurrent-zip-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function zipFile(bytes: Buffer): string {
  const path = join(work, `in-${counter++}.zip`);
  writeFileSync(path, bytes);
  return path;
}

/** Many files of mixed sizes in nested folders, then links to some of them. */
function modelTree(): TestEntry[] {
  const entries: TestEntry[] = [{ name: 'model/', type: 'directory' }, { name: 'model/shards/', type: 'directory', mode: 0o750 }];
  for (let i = 0; i < 40; i++) entries.push({ name: `model/shards/part-${i}.bin`, body: Buffer.concat([randomBytes(10_000 + i * 7_919), Buffer.alloc(50_000)]), mode: i % 3 === 0 ? 0o600 : 0o644 });
  for (let i = 0; i < 60; i++) entries.push({ name: `model/labels/${i}.json`, body: `{"id": ${i}}\n`.repeat(i * 20) });
  entries.push({ name: 'model/big.bin', body: randomBytes(3 * 1024 * 1024) });
  entries.push({ name: 'model/current', type: 'symlink', linkname: 'shards/part-1.bin' });
  entries.push({ name: 'model/after-link.bin', body: randomBytes(70_000) });
  return entries;
}

describe('zip extraction with files written concurrently', () => {
  it('extracts the same tree (content, modes, links) with 1, 2 and 8 files at once', async () => {
    const archive = zipFile(await buildZip(modelTree(), { compress: true }));
    const snapshots = [];
    for (const concurrency of [1, 2, 8]) {
      const dest = join(work, `tree-${concurrency}`);
      const result = await new StreamingExtractor().extractStreaming(archive, dest, { concurrency });
      expect(result.files).toBe(102);
      expect(result.links).toBe(1);
      snapshots.push(await snapshotTree(dest));
    }
    expect(snapshots[1]).toEqual(snapshots[0]);
    expect(snapshots[2]).toEqual(snapshots[0]);
    expect(Object.keys(snapshots[0]!).length).toBe(106);
  });

  it('keeps every file’s mtime as the archive says, whatever order the writes end in', async () => {
    const archive = zipFile(await buildZip(modelTree(), { compress: true }));
    const one = join(work, 'times-1');
    const many = join(work, 'times-8');
    await new StreamingExtractor().extractStreaming(archive, one, { concurrency: 1 });
    await new StreamingExtractor().extractStreaming(archive, many, { concurrency: 8 });
    for (const name of readdirSync(join(one, 'model/shards'))) {
      expect(statSync(join(many, 'model/shards', name)).mtimeMs).toBe(statSync(join(one, 'model/shards', name)).mtimeMs);
    }
  });

  it('refuses a corrupt entry in the middle the same way, and removes everything it wrote', async () => {
    const good = Array.from({ length: 12 }, (_, i) => ({ name: `ok-${i}.bin`, data: randomBytes(40_000), deflate: true }));
    const archive = zipFile(rawZip([...good.slice(0, 6), { name: 'bad.bin', data: 'payload'.repeat(5000), deflate: true, crc: 0xdeadbeef }, ...good.slice(6)]));
    const reasons = [];
    for (const concurrency of [1, 4]) {
      const dest = join(work, `corrupt-${concurrency}`);
      const error = await new StreamingExtractor().extractStreaming(archive, dest, { concurrency }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtractionError);
      reasons.push([(error as ExtractionError).reason, (error as ExtractionError).entryPath]);
      expect(existsSync(dest)).toBe(false);
    }
    expect(reasons[1]).toEqual(reasons[0]);
    expect(reasons[0]).toEqual(['CHECKSUM_MISMATCH', 'bad.bin']);
  });

  it('turns a full disk into the same InsufficientStorageError, leaving the disk empty', async (context) => {
    const disk = mountTmpfs(4 * 1024 * 1024);
    if (!isMounted(disk)) {
      console.log(`skipping: ${disk.skipReason}`);
      return context.skip();
    }
    try {
      // A fixed byte ceiling instead of 'free-space', so no up-front estimate refuses it: the disk
      // fills while several files are being written, and the guard or ENOSPC stops it.
      const entries = Array.from({ length: 64 }, (_, i) => ({ name: `f-${i}.bin`, body: randomBytes(96 * 1024) }));
      const archive = zipFile(await buildZip(entries));
      const codes = [];
      for (const concurrency of [1, 4]) {
        const dest = join(disk.path, `full-${concurrency}`);
        const error = await new StreamingExtractor({ limits: { maxTotalBytes: 1024 * 1024 * 1024 } }).extractStreaming(archive, dest, { concurrency }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InsufficientStorageError);
        // It failed part-way, after writing, not up front.
        expect((error as InsufficientStorageError).details.writtenBytes).toBeGreaterThan(1024 * 1024);
        codes.push((error as InsufficientStorageError).code);
        expect(existsSync(dest)).toBe(false);
        expect((await readDiskSpace(disk.path)).usedBytes).toBe(0);
      }
      expect(codes[1]).toBe(codes[0]);
    } finally {
      disk.unmount();
    }
  });

  it('refuses a concurrency that is not a whole number from 1 before touching the destination', async () => {
    const archive = zipFile(await buildZip([{ name: 'a.txt', body: 'a' }]));
    for (const concurrency of [0, 2.5, -3]) {
      const dest = join(work, `never-${concurrency}`);
      await expect(new StreamingExtractor().extractStreaming(archive, dest, { concurrency })).rejects.toBeInstanceOf(ConfigurationError);
      expect(existsSync(dest)).toBe(false);
    }
  });

  it('runs a cleanupCallback one file at a time even when concurrency is asked for', async () => {
    const archive = zipFile(await buildZip(Array.from({ length: 20 }, (_, i) => ({ name: `f-${i}.bin`, body: randomBytes(30_000) }))));
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    await new StreamingExtractor().extractStreaming(archive, join(work, 'callback'), {
      concurrency: 8,
      cleanupCallback: async (entry) => {
        most = Math.max(most, ++running);
        seen.push(entry.path);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
      },
    });
    expect(most).toBe(1);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `f-${i}.bin`));
  });
});
