import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionError, InsufficientStorageError } from '../../src/errors/index.js';
import { IncrementalZipper, createZipStreaming } from '../../src/zip/index.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { readZip, unzipTest } from './read-zip.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ssa-zipper-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const text = (bytes: number) => Buffer.from('{"label": "person", "score": 0.91}\n'.repeat(Math.ceil(bytes / 35)).slice(0, bytes));

function sampleTree(root: string): void {
  mkdirSync(join(root, 'model/sub'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'model/weights.bin'), randomBytes(300_000));
  writeFileSync(join(root, 'model/sub/labels.json'), text(50_000));
  writeFileSync(join(root, 'readme.txt'), 'hello');
  symlinkSync('model/weights.bin', join(root, 'weights-link'));
}

describe('IncrementalZipper', () => {
  it('writes every kind of entry so that an independent reader and unzip -t get them back', async () => {
    const out = join(work, 'kinds.zip');
    const file = join(work, 'file.bin');
    writeFileSync(file, randomBytes(200_000));
    const zipper = new IncrementalZipper(out);
    await zipper.addFileStreaming(file, 'from-disk.bin');
    await zipper.addStream(Readable.from([text(100_000), text(100_000)]), 'streamed/unknown-size.json');
    await zipper.addStream(Readable.from([text(30)]), 'streamed/tiny.json', { size: 30, mode: 0o600 });
    await zipper.addBuffer('{"a":1}', 'manifest.json');
    await zipper.addDirectoryEntry('empty-dir');
    await zipper.addSymlink('link', 'from-disk.bin');
    const result = await zipper.finalize();

    const { entries } = await readZip(out);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect([...byName.keys()].sort()).toEqual(['empty-dir/', 'from-disk.bin', 'link', 'manifest.json', 'streamed/tiny.json', 'streamed/unknown-size.json']);
    expect(byName.get('from-disk.bin')!.data.equals(readFileSync(file))).toBe(true);
    expect(byName.get('streamed/unknown-size.json')!.data.equals(Buffer.concat([text(100_000), text(100_000)]))).toBe(true);
    expect(byName.get('streamed/tiny.json')!.mode).toBe(0o100600);
    expect(byName.get('manifest.json')!.data.toString()).toBe('{"a":1}');
    expect(byName.get('link')!.mode).toBe(0o120777);
    expect(byName.get('link')!.data.toString()).toBe('from-disk.bin');
    expect(result.entries).toBe(6);
    // Bytes from sources: link targets are metadata, not counted.
    expect(result.bytesIn).toBe(200_000 + 200_000 + 30 + 7);
    const unzip = await unzipTest(out);
    if ('skipReason' in unzip) console.log(unzip.skipReason);
    else expect(unzip).toEqual({ ok: true, output: '' });
  });

  it('resolves finalize only after the file is closed, with bytesWritten equal to its size', async () => {
    const out = join(work, 'closed.zip');
    const zipper = new IncrementalZipper(out, { compression: 'store' });
    await zipper.addStream(Readable.from([randomBytes(1_000_000)]), 'a.bin', { size: 1_000_000 });
    const result = await zipper.finalize();
    expect(statSync(out).size).toBe(result.bytesWritten);
  });

  it('waits for a slow Writable to finish before resolving finalize', async () => {
    let received = 0;
    let finished = false;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _e, callback) {
        received += chunk.length;
        setTimeout(callback, 1);
      },
      final(callback) {
        setTimeout(() => {
          finished = true;
          callback();
        }, 50);
      },
    });
    const zipper = new IncrementalZipper(slow);
    await zipper.addStream(Readable.from([randomBytes(300_000)]), 'r.bin');
    const result = await zipper.finalize();
    expect(finished).toBe(true);
    expect(received).toBe(result.bytesWritten);
  });

  it('gives byte-identical zips for identical trees when deterministic', async () => {
    const tree = join(work, 'tree');
    sampleTree(tree);
    const a = join(work, 'det-a.zip');
    const b = join(work, 'det-b.zip');
    const first = new IncrementalZipper(a, { deterministic: true });
    await first.addDirectory(tree, 'pkg');
    await first.finalize();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = new IncrementalZipper(b, { deterministic: true });
    await second.addDirectory(tree, 'pkg');
    await second.finalize();
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const names = (await readZip(a)).entries.map((e) => e.name);
    expect(names).toEqual(['pkg/empty/', 'pkg/model/', 'pkg/model/sub/', 'pkg/model/sub/labels.json', 'pkg/model/weights.bin', 'pkg/readme.txt', 'pkg/weights-link']);
  });

  it("auto stores random bytes and deflates text, reading the sample from the source once", async () => {
    const out = join(work, 'auto.zip');
    const random = randomBytes(512 * 1024);
    const json = text(512 * 1024);
    let pulls = 0;
    const counted = (data: Buffer) => {
      let offset = 0;
      return new Readable({
        highWaterMark: 16 * 1024,
        read() {
          pulls += 1;
          this.push(offset >= data.length ? null : data.subarray(offset, (offset += 16 * 1024)));
        },
      });
    };
    const zipper = new IncrementalZipper(out, { compression: 'auto' });
    await zipper.addStream(counted(random), 'weights.bin');
    await zipper.addStream(counted(json), 'labels.json');
    const result = await zipper.finalize();
    const { entries } = await readZip(out);
    expect(entries.find((e) => e.name === 'weights.bin')!.compressionMethod).toBe(0);
    expect(entries.find((e) => e.name === 'labels.json')!.compressionMethod).toBe(8);
    expect(entries.find((e) => e.name === 'weights.bin')!.data.equals(random)).toBe(true);
    expect(entries.find((e) => e.name === 'labels.json')!.data.equals(json)).toBe(true);
    expect(result).toMatchObject({ storedEntries: 1, deflatedEntries: 1, bytesIn: 1024 * 1024 });
    // 32 chunks per entry plus the final null push each: no chunk was asked for twice.
    expect(pulls).toBe(2 * 33);
  });

  it('deflate and store force the method whatever the content', async () => {
    for (const [compression, method] of [['deflate', 8], ['store', 0]] as const) {
      const out = join(work, `${compression}.zip`);
      const zipper = new IncrementalZipper(out, { compression, level: 1 });
      await zipper.addStream(Readable.from([randomBytes(100_000)]), 'r.bin');
      await zipper.addBuffer(text(10_000), 't.txt');
      await zipper.finalize();
      expect((await readZip(out)).entries.map((e) => e.compressionMethod)).toEqual([method, method]);
    }
  });

  it('refuses unsafe names with INVALID_NAME and stays usable', async () => {
    const out = join(work, 'names.zip');
    const zipper = new IncrementalZipper(out);
    for (const bad of ['../evil', '/abs', 'C:/x', 'a\\b', '', 'a/../../b']) {
      await expect(zipper.addBuffer('x', bad)).rejects.toMatchObject({ reason: 'INVALID_NAME' });
    }
    // From JavaScript, data and name swapped: a message that says so, not a TypeError from inside.
    await expect(zipper.addBuffer('x', Buffer.from('data') as unknown as string)).rejects.toMatchObject({ reason: 'INVALID_NAME', message: expect.stringContaining('must be a string, got a Buffer') });
    await zipper.addBuffer('ok', './fine.txt');
    await zipper.finalize();
    expect((await readZip(out)).entries.map((e) => e.name)).toEqual(['fine.txt']);
  });

  it('rejects a size mismatch with SIZE_MISMATCH and removes the partial file', async () => {
    const out = join(work, 'mismatch.zip');
    const zipper = new IncrementalZipper(out, { compression: 'store' });
    const error = await zipper.addStream(Readable.from([randomBytes(100_000)]), 'short.bin', { size: 200_000 }).then(() => zipper.finalize()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompressionError);
    expect((error as CompressionError).reason).toBe('SIZE_MISMATCH');
    expect(existsSync(out)).toBe(false);
    await expect(zipper.addBuffer('x', 'after')).rejects.toBeInstanceOf(CompressionError);
  });

  it('turns a failing source into SOURCE_FAILED and removes the partial file', async () => {
    const out = join(work, 'source-failed.zip');
    const zipper = new IncrementalZipper(out);
    await zipper.addBuffer(text(1000), 'first.txt');
    const source = new PassThrough();
    source.write(randomBytes(200_000));
    setTimeout(() => source.destroy(new Error('connection reset')), 20);
    const error = await zipper.addStream(source, 'broken.bin').catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'SOURCE_FAILED', entryPath: 'broken.bin' });
    expect(existsSync(out)).toBe(false);
  });

  it('stops on abort with ABORTED and removes the partial file', async () => {
    const out = join(work, 'aborted.zip');
    const controller = new AbortController();
    const zipper = new IncrementalZipper(out, { signal: controller.signal });
    const endless = new Readable({ read() { this.push(randomBytes(64 * 1024)); } });
    setTimeout(() => controller.abort(), 50);
    const error = await zipper.addStream(endless, 'endless.bin').catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'ABORTED' });
    expect(endless.destroyed).toBe(true);
    expect(existsSync(out)).toBe(false);
  });

  it('reports more than 65,535 entries with a valid ZIP64 end of central directory', async () => {
    const out = join(work, 'many.zip');
    const zipper = new IncrementalZipper(out, { compression: 'store', deterministic: true });
    const count = 65_600;
    const body = Buffer.from('x');
    for (let i = 0; i < count; i++) void zipper.addBuffer(body, `e/${i}`);
    await zipper.finalize();
    const zip = readFileSync(out);
    // ZIP64 end of central directory record signature, 0x06064b50, and locator, 0x07064b50.
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
    const { entryCount, entries } = await readZip(out);
    expect(entryCount).toBe(count);
    expect(entries[count - 1]!.name).toBe(`e/${count - 1}`);
    const unzip = await unzipTest(out);
    if ('skipReason' in unzip) console.log(unzip.skipReason);
    else expect(unzip.ok).toBe(true);
  }, 120_000);
});

describe('createZipStreaming', () => {
  it('zips a tree and, with deleteAfterAdd, removes each file once it is in the zip', async () => {
    const tree = join(work, 'delete-tree');
    sampleTree(tree);
    const expected = readFileSync(join(tree, 'model/sub/labels.json'));
    const out = join(work, 'deleted.zip');
    const phases: number[] = [];
    const result = await IncrementalZipper.createZipStreaming(tree, out, { deleteAfterAdd: true, onProgress: (p) => phases.push(p.filesProcessed) });
    expect(result.entries).toBe(7);
    const { entries } = await readZip(out);
    expect(entries.find((e) => e.name === 'model/sub/labels.json')!.data.equals(expected)).toBe(true);
    // Files are gone, directories and links stay (their bytes were never the problem).
    expect(readdirSync(join(tree, 'model/sub'))).toEqual([]);
    expect(existsSync(join(tree, 'readme.txt'))).toBe(false);
    expect(phases.at(-1)).toBe(7);
  });

  describe('on a small real disk', () => {
    let disk: Tmpfs | undefined;
    beforeAll(() => {
      const mounted = mountTmpfs(8 * 1024 * 1024);
      if (isMounted(mounted)) disk = mounted;
      else console.log(`skipping disk-full cases: ${mounted.skipReason}`);
    });
    afterAll(() => disk?.unmount());

    it('refuses before writing when the disk cannot hold the zip', async (context) => {
      if (!disk) return context.skip();
      const tree = join(disk.path, 'big');
      mkdirSync(tree);
      writeFileSync(join(tree, 'a.bin'), randomBytes(2_500_000));
      writeFileSync(join(tree, 'b.bin'), randomBytes(2_500_000));
      const out = join(disk.path, 'big.zip');
      const error = await createZipStreaming(tree, out).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientStorageError);
      expect((error as InsufficientStorageError).requiredBytes).toBeGreaterThan(5_000_000);
      expect(existsSync(out)).toBe(false);
      // With deleteAfterAdd the peak is one file, which fits.
      const result = await createZipStreaming(tree, out, { deleteAfterAdd: true });
      expect(result.bytesIn).toBe(5_000_000);
      rmSync(tree, { recursive: true, force: true });
      rmSync(out);
    });

    it('reserves the zip in a StorageManager ledger, refusing at once what the disk can never hold', async (context) => {
      if (!disk) return context.skip();
      const { StorageManager } = await import('../../src/storage/index.js');
      const storage = new StorageManager({ path: disk.path });
      const tree = join(work, 'too-big-for-disk');
      mkdirSync(tree);
      writeFileSync(join(tree, 'a.bin'), randomBytes(9 * 1024 * 1024));
      const out = join(disk.path, 'never.zip');
      const error = await createZipStreaming(tree, out, { storage }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientStorageError);
      expect(existsSync(out)).toBe(false);
      // A zip that fits: reserved while written, released after (a second reservation of the
      // whole free space succeeds at once).
      writeFileSync(join(tree, 'a.bin'), randomBytes(1024 * 1024));
      await createZipStreaming(tree, out, { storage });
      const free = await storage.getAvailableSpace();
      const again = await storage.reserve(free, { wait: false });
      again.release();
      rmSync(out);
    });

    it('turns ENOSPC mid-stream into InsufficientStorageError and removes the partial zip', async (context) => {
      if (!disk) return context.skip();
      const out = join(disk.path, 'full.zip');
      const zipper = new IncrementalZipper(out, { compression: 'store' });
      const error = await zipper.addStream(Readable.from((function* () { for (let i = 0; i < 100; i++) yield randomBytes(128 * 1024); })()), 'big.bin').then(() => zipper.finalize()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientStorageError);
      expect((error as InsufficientStorageError).path).toBe(out);
      expect(existsSync(out)).toBe(false);
    });
  });
});

describe('IncrementalZipper edge cases', () => {
  it('adds an empty entry whose source has already ended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssa-zipper-edge-'));
    try {
      const out = join(dir, 'empty.zip');
      const ended = Readable.from([]);
      ended.resume();
      await new Promise((resolve) => ended.once('end', resolve));
      const zipper = new IncrementalZipper(out);
      await zipper.addStream(ended, 'empty.txt', { size: 0 });
      await zipper.addStream(Readable.from([]), 'also-empty.txt');
      await zipper.finalize();
      const { entries } = await readZip(out);
      expect(entries.map((e) => [e.name, e.data.length])).toEqual([['empty.txt', 0], ['also-empty.txt', 0]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
