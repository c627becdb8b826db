// Files of at most 64 KiB are read whole and written with synchronous calls (syncSmallFiles, the
// default on a local disk). That must change nothing but the speed: the same tree (bytes, modes,
// times, links), the same refusals, the same cleanup and the same full-disk error as the
// asynchronous path, for tar, tar.gz and zip.
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ExtractionError, InsufficientStorageError } from '../../src/errors/index.js';
import { StreamingExtractor } from '../../src/extract/index.js';
import { SMALL_FILE_BYTES } from '../../src/extract/write/extract-to-directory.js';
import { readDiskSpace } from '../../src/storage/disk-space.js';
import { isMounted, mountTmpfs } from '../support/tmpfs.js';
import { buildTar, buildTarGz, buildZip, type TestEntry } from './support/build-archives.js';
import { rawZip } from './support/raw-zip.js';
import { snapshotTree } from './support/tree.js';

const work = mkdtempSync(join(tmpdir(), 'ssa-small-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function archiveFile(bytes: Buffer, extension: string): string {
  const path = join(work, `in-${counter++}.${extension}`);
  writeFileSync(path, bytes);
  return path;
}

const formats = {
  tar: (entries: TestEntry[]) => buildTar(entries),
  'tar.gz': (entries: TestEntry[]) => buildTarGz(entries),
  zip: (entries: TestEntry[]) => buildZip(entries, { compress: true }),
} as const;
type Format = keyof typeof formats;

/** Every file's mtime, by path: snapshotTree compares bytes and modes, not times. */
function mtimes(root: string, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const stats = lstatSync(join(root, rel));
    if (stats.isDirectory()) Object.assign(out, mtimes(root, rel));
    else if (stats.isFile()) out[rel] = stats.mtimeMs;
  }
  return out;
}

async function extractBoth(archive: string, options: { concurrency?: number } = {}) {
  const out = [];
  for (const syncSmallFiles of [true, false]) {
    const dest = join(work, `out-${counter++}`);
    const result = await new StreamingExtractor().extractStreaming(archive, dest, { ...options, syncSmallFiles });
    out.push({ dest, result, tree: await snapshotTree(dest), times: mtimes(dest) });
  }
  return out;
}

describe('small files written with synchronous calls', () => {
  it('gives the same tree, modes and times as the asynchronous path, on any mix of sizes around the 64 KiB line (fast-check, 100 runs)', async () => {
    const size = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: SMALL_FILE_BYTES - 2, max: SMALL_FILE_BYTES + 2 }), fc.integer({ min: 0, max: 3 * SMALL_FILE_BYTES }));
    const file = fc.record({ folder: fc.integer({ min: 0, max: 3 }), size, mode: fc.constantFrom(0o600, 0o644, 0o755, 0o640), noise: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 12 }), fc.constantFrom<Format>('tar', 'tar.gz', 'zip'), fc.boolean(), async (files, format, duplicate) => {
        const entries: TestEntry[] = files.map((f, i) => ({
          name: `m/d${f.folder}/f-${i}.bin`,
          body: f.noise ? randomBytes(f.size) : Buffer.alloc(f.size, i),
          mode: f.mode,
        }));
        // A tar may name a file twice (the later one wins): the synchronous open meets EEXIST
        // and hands over to the path that replaces what this call wrote.
        if (duplicate && format !== 'zip') entries.push({ name: entries[0]!.name, body: 'second copy', mode: 0o600 });
        entries.push({ name: 'm/latest', type: 'symlink', linkname: 'd0' });
        const archive = archiveFile(await formats[format](entries), format);
        const [sync, async] = await extractBoth(archive);
        expect(sync!.tree).toEqual(async!.tree);
        expect(sync!.times).toEqual(async!.times);
        expect(sync!.result.files).toBe(async!.result.files);
        expect(sync!.result.bytesWritten).toBe(async!.result.bytesWritten);
        const first = `m/d${files[0]!.folder}/f-0.bin`;
        expect(readFileSync(join(sync!.dest, first))).toEqual(duplicate && format !== 'zip' ? Buffer.from('second copy') : Buffer.from(entries[0]!.body!));
        expect(statSync(join(sync!.dest, first)).mode & 0o777).toBe(duplicate && format !== 'zip' ? 0o600 : files[0]!.mode);
        rmSync(sync!.dest, { recursive: true });
        rmSync(async!.dest, { recursive: true });
        rmSync(archive);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a corrupt small zip entry before creating it, and removes what came before', async () => {
    const good = Array.from({ length: 6 }, (_, i) => ({ name: `ok-${i}.txt`, data: `file ${i}\n`.repeat(100), deflate: true }));
    const archive = archiveFile(rawZip([...good.slice(0, 3), { name: 'bad.txt', data: 'payload'.repeat(50), deflate: true, crc: 0xdeadbeef }, ...good.slice(3)]), 'zip');
    for (const syncSmallFiles of [true, false]) {
      const dest = join(work, `corrupt-${syncSmallFiles}`);
      const error = await new StreamingExtractor().extractStreaming(archive, dest, { syncSmallFiles }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtractionError);
      expect([(error as ExtractionError).reason, (error as ExtractionError).entryPath]).toEqual(['CHECKSUM_MISMATCH', 'bad.txt']);
      expect(existsSync(dest)).toBe(false);
    }
  });

  it('refuses a folder swapped for a link after the first file, and the rollback leaves the link target alone', async () => {
    for (const syncSmallFiles of [true, false]) {
      const caseDir = join(work, `swap-${syncSmallFiles}`);
      const sentinel = join(caseDir, 'sentinel');
      const dest = join(caseDir, 'dest');
      mkdirSync(sentinel, { recursive: true });
      writeFileSync(join(sentinel, 'first.txt'), 'must survive');
      const archive = archiveFile(await buildTar([{ name: 'sub/first.txt', body: 'one' }, { name: 'sub/second.txt', body: 'two' }]), 'tar');
      const error = await new StreamingExtractor()
        .extractStreaming(archive, dest, {
          syncSmallFiles,
          cleanupCallback: async () => {
            await rm(join(dest, 'sub'), { recursive: true });
            await symlink(sentinel, join(dest, 'sub'));
          },
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtractionError);
      expect((error as ExtractionError).reason).toBe('LINK_ESCAPE');
      // Nothing was written through the link, and nothing removed through it.
      expect(readdirSync(sentinel)).toEqual(['first.txt']);
      expect(readFileSync(join(sentinel, 'first.txt'), 'utf8')).toBe('must survive');
    }
  });

  it('refuses a link planted where the next file goes, instead of writing through it', async () => {
    for (const syncSmallFiles of [true, false]) {
      const caseDir = join(work, `planted-${syncSmallFiles}`);
      const secret = join(caseDir, 'secret.txt');
      const dest = join(caseDir, 'dest');
      mkdirSync(caseDir, { recursive: true });
      writeFileSync(secret, 'do not touch');
      const archive = archiveFile(await buildTar([{ name: 'first.txt', body: 'one' }, { name: 'victim.txt', body: 'PWNED' }]), 'tar');
      const error = await new StreamingExtractor()
        .extractStreaming(archive, dest, { syncSmallFiles, cleanupCallback: () => symlink(secret, join(dest, 'victim.txt')) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtractionError);
      expect(['DESTINATION_EXISTS', 'LINK_ESCAPE']).toContain((error as ExtractionError).reason);
      expect(readFileSync(secret, 'utf8')).toBe('do not touch');
    }
  });

  it('turns a disk filled by small files into InsufficientStorageError, leaving the disk empty', async (context) => {
    const disk = mountTmpfs(2 * 1024 * 1024);
    if (!isMounted(disk)) {
      console.log(`skipping: ${disk.skipReason}`);
      return context.skip();
    }
    try {
      // 600 files of 8 KiB (4.7 MiB) into 2 MiB: ENOSPC from a write, not the up-front estimate
      // (a fixed byte ceiling instead of 'free-space').
      const entries = Array.from({ length: 600 }, (_, i) => ({ name: `d${i % 7}/f-${i}.bin`, body: randomBytes(8 * 1024) }));
      for (const format of ['tar.gz', 'zip'] as const) {
        const archive = archiveFile(await formats[format](entries), format);
        for (const syncSmallFiles of [true, false]) {
          const dest = join(disk.path, `full-${format}-${syncSmallFiles}`);
          const error = await new StreamingExtractor({ limits: { maxTotalBytes: 1024 * 1024 * 1024 } }).extractStreaming(archive, dest, { syncSmallFiles }).catch((e: unknown) => e);
          expect(error, `${format}, syncSmallFiles ${syncSmallFiles}`).toBeInstanceOf(InsufficientStorageError);
          expect((error as InsufficientStorageError).details.writtenBytes).toBeGreaterThan(512 * 1024);
          expect(existsSync(dest)).toBe(false);
          expect((await readDiskSpace(disk.path)).usedBytes).toBe(0);
        }
      }
    } finally {
      disk.unmount();
    }
  });
});
