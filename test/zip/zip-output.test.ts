// Where a zip goes: an existing file is refused and kept, the output's folder is made (and removed
// again on failure), and a full disk gives the true figures, measured on the output's own disk.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CompressionError, InsufficientStorageError } from '../../src/errors/index.js';
import { repackage } from '../../src/repackage/index.js';
import { readDiskSpace } from '../../src/storage/disk-space.js';
import { IncrementalZipper } from '../../src/zip/index.js';
import { generatedTar } from '../repackage/generated-tar.js';
import { isMounted, mountTmpfs } from '../support/tmpfs.js';
import { readZip } from './read-zip.js';

const work = mkdtempSync(join(tmpdir(), 'ssa-zip-output-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function zipOne(out: string, options: { overwrite?: boolean } = {}): Promise<void> {
  const zipper = new IncrementalZipper(out, options);
  await zipper.addBuffer('new', 'a.txt');
  await zipper.finalize();
}

describe('zip output file', () => {
  it('refuses an existing file with OUTPUT_EXISTS and leaves it as it was', async () => {
    const out = join(work, 'exists.zip');
    writeFileSync(out, 'precious');
    const error = await zipOne(out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompressionError);
    expect((error as CompressionError).reason).toBe('OUTPUT_EXISTS');
    expect((error as CompressionError).message).toContain(out);
    expect((error as CompressionError).suggestion).toContain('overwrite');
    expect(readFileSync(out, 'utf8')).toBe('precious');
  });

  it('replaces an existing file with overwrite', async () => {
    const out = join(work, 'replaced.zip');
    writeFileSync(out, 'old');
    await zipOne(out, { overwrite: true });
    expect((await readZip(out)).entries.map((e) => e.data.toString())).toEqual(['new']);
  });

  it('with overwrite, keeps the existing file until the new zip is whole: a failed run leaves it as it was', async () => {
    const folder = join(work, 'overwrite-fails');
    const out = join(folder, 'model.zip');
    await zipOne(out);
    const before = readFileSync(out);
    const zipper = new IncrementalZipper(out, { overwrite: true });
    await zipper.addBuffer(randomBytes(300_000), 'first.bin');
    const broken = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    expect(await zipper.addStream(broken, 'x.bin').catch((e: unknown) => e)).toBeInstanceOf(CompressionError);
    expect(readFileSync(out).equals(before)).toBe(true);
    // Nothing else is left beside it (the new zip was written to a file next to it, now removed).
    expect(readdirSync(folder)).toEqual(['model.zip']);
  });

  it('with overwrite, repackages a zip onto itself: the source is read whole before it is replaced', async () => {
    const out = join(work, 'self.zip');
    const zipper = new IncrementalZipper(out);
    for (let i = 0; i < 50; i++) await zipper.addBuffer(randomBytes(40_000), `shard-${i}.bin`);
    await zipper.finalize();
    const before = await readZip(out);
    const result = await repackage({ source: out, output: out, overwrite: true, rename: (path) => `jetson/${path}` });
    expect(result.entries).toBe(50);
    const after = await readZip(out);
    expect(after.entries.map((e) => e.name)).toEqual(before.entries.map((e) => `jetson/${e.name}`));
    expect(after.entries.map((e) => e.data)).toEqual(before.entries.map((e) => e.data));
  });

  it('creates the output folder, and removes what it created when the zip fails', async () => {
    const out = join(work, 'made/for/it/out.zip');
    await zipOne(out);
    expect((await readZip(out)).entryCount).toBe(1);

    const failing = join(work, 'new-folder/deeper/out.zip');
    const zipper = new IncrementalZipper(failing);
    const broken = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    const error = await zipper.addStream(broken, 'x.bin').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompressionError);
    expect(existsSync(join(work, 'new-folder'))).toBe(false);
  });

  it('repackage refuses an existing output and writes into a folder that does not exist yet', async () => {
    const out = join(work, 'repackaged/model.zip');
    await repackage({ source: generatedTar(64 * 1024, 32 * 1024), output: out });
    const error = await repackage({ source: generatedTar(64 * 1024, 32 * 1024), output: out }).catch((e: unknown) => e);
    expect((error as CompressionError).reason).toBe('OUTPUT_EXISTS');
    expect((await readZip(out)).entryCount).toBe(3);
  });
});

describe('zip output on a full disk (real tmpfs)', () => {
  it('quotes the bytes written and the space free when writing began, and leaves the disk as it was', async (context) => {
    const disk = mountTmpfs(4 * 1024 * 1024);
    if (!isMounted(disk)) {
      console.log(`skipping: ${disk.skipReason}`);
      return context.skip();
    }
    try {
      const freeBefore = (await readDiskSpace(disk.path)).availableBytes;
      const out = join(disk.path, 'sub/full.zip');
      const error = await repackage({ source: generatedTar(8 * 1024 * 1024, 2 * 1024 * 1024), output: out, compression: 'store' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientStorageError);
      const full = error as InsufficientStorageError;
      // The zip needed more than the disk had, and the figure free is the disk's, not 0 or the cwd's.
      expect(full.availableBytes).toBe(freeBefore);
      expect(full.requiredBytes).toBeGreaterThan(freeBefore);
      expect(full.path).toBe(out);
      expect(full.message).toMatch(/bytes written before the disk filled/);
      expect(full.suggestion).not.toMatch(/at least 0 GiB/);
      // The caller is already streaming: the try is another disk or no disk, not "use repackage()".
      expect(full.suggestion).not.toMatch(/repackage\(\)/);
      expect(full.suggestion).toMatch(/s3UploadStream\(\)/);
      expect(existsSync(join(disk.path, 'sub'))).toBe(false);
      expect((await readDiskSpace(disk.path)).usedBytes).toBe(0);
    } finally {
      disk.unmount();
    }
  });

  it('measures the disk a WriteStream writes to, not the current folder', async (context) => {
    const disk = mountTmpfs(2 * 1024 * 1024);
    if (!isMounted(disk)) {
      console.log(`skipping: ${disk.skipReason}`);
      return context.skip();
    }
    try {
      const freeBefore = (await readDiskSpace(disk.path)).availableBytes;
      const cwdFree = (await readDiskSpace(process.cwd())).availableBytes;
      expect(cwdFree).not.toBe(freeBefore); // the test means something only if the two disks differ
      const stream = createWriteStream(join(disk.path, 'streamed.zip'));
      const zipper = new IncrementalZipper(stream, { compression: 'store' });
      const error = await zipper
        .addStream(Readable.from((function* () { for (let i = 0; i < 40; i++) yield randomBytes(128 * 1024); })()), 'big.bin')
        .then(() => zipper.finalize())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientStorageError);
      expect((error as InsufficientStorageError).availableBytes).toBe(freeBefore);
      expect((error as InsufficientStorageError).path).toBe(join(disk.path, 'streamed.zip'));
    } finally {
      disk.unmount();
    }
  });
});
