// The extractor's calls, each on real files: entries(), extractSelective(), getArchiveInfo(),
// estimateArchiveSpace(), atomic extraction, cancellation and progress.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ExtractionError } from '../../src/errors/index.js';
import type { ProcessingState } from '../../src/observe/progress.js';
import { StreamingExtractor, detectFormat, estimateArchiveSpace, fileRandomAccessSource, getArchiveInfo } from '../../src/extract/index.js';
import { KiB, MiB } from '../../src/units.js';
import { buildTar, buildTarGz, buildZip, chunked, type TestEntry } from './support/build-archives.js';
import { snapshotTree } from './support/tree.js';

const TREE: TestEntry[] = [
  { name: 'model/', type: 'directory' },
  { name: 'model/compiled.so', body: randomBytes(40 * KiB), mode: 0o755 },
  { name: 'model/params.json', body: '{"a":1}' },
  { name: 'model/labels/', type: 'directory' },
  { name: 'model/labels/l.txt', body: 'cat\ndog\n' },
  { name: 'model/current', type: 'symlink', linkname: 'compiled.so' },
  { name: 'README.md', body: '# model' },
];

let root: string;
const paths: Record<string, string> = {};
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssa-extractor-'));
  paths.tar = join(root, 'm.tar');
  paths.tgz = join(root, 'm.tar.gz');
  paths.zip = join(root, 'm.zip');
  await writeFile(paths.tar, await buildTar(TREE));
  await writeFile(paths.tgz, await buildTarGz(TREE));
  await writeFile(paths.zip, await buildZip(TREE));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const fdCount = async () => (await readdir('/proc/self/fd')).length;
/**
 * The count once it is back to `expected`, or what it still is after 2 s. A descriptor closes a
 * tick or so after the promise settles, and on a loaded machine the runner's own I/O comes and
 * goes; a real leak stays open, so it still fails here.
 */
async function settledFdCount(expected: number): Promise<number> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const count = await fdCount();
    if (count <= expected || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('entries()', () => {
  it.each(['tar', 'tgz', 'zip'])('yields every entry of the %s with checked fields and bodies', async (kind) => {
    const seen: Array<[string, string, number]> = [];
    for await (const entry of new StreamingExtractor().entries(paths[kind] as string)) {
      const body = entry.type === 'file' ? Buffer.concat(await entry.body.toArray()) : Buffer.alloc(0);
      expect(body.length).toBe(entry.size);
      seen.push([entry.path, entry.type, entry.size]);
      if (entry.type === 'symlink') expect(entry.linkTarget).toBe('compiled.so');
    }
    expect(seen).toEqual([
      ['model', 'directory', 0],
      ['model/compiled.so', 'file', 40 * KiB],
      ['model/params.json', 'file', 7],
      ['model/labels', 'directory', 0],
      ['model/labels/l.txt', 'file', 8],
      ['model/current', 'symlink', 0],
      ['README.md', 'file', 7],
    ]);
  });

  it('skips an unconsumed body for the caller and still reads the next entry right', async () => {
    const names: string[] = [];
    let readme = '';
    for await (const entry of new StreamingExtractor().entries(chunked(await readFile(paths.tgz as string), 1000))) {
      names.push(entry.path);
      if (entry.path === 'README.md') readme = (await entry.body.toArray()).join('');
    }
    expect(names).toHaveLength(7);
    expect(readme).toBe('# model');
  });

  it.each(['tar', 'tgz', 'zip'])('closes the %s when the caller breaks out of the loop', async (kind) => {
    const before = await fdCount();
    for await (const entry of new StreamingExtractor().entries(paths[kind] as string)) {
      if (entry.type === 'file') break;
    }
    expect(await settledFdCount(before)).toBe(before);
  });

  it('reports progress while reading, with no disk used', async () => {
    const states: ProcessingState[] = [];
    for await (const entry of new StreamingExtractor({ onProgress: (s) => states.push(s) }).entries(paths.tgz as string)) await entry.skip();
    expect(states.at(-1)).toMatchObject({ currentPhase: 'done', filesProcessed: 7, bytesProcessed: 40 * KiB + 22, diskUsage: 0 });
  });

  it('closes its descriptors when a zip turns out corrupt', async () => {
    const good = await readFile(paths.zip as string);
    const corrupt = join(root, 'corrupt.zip');
    await writeFile(corrupt, Buffer.concat([good.subarray(0, good.length - 60), good.subarray(good.length - 22)]));
    const noEndRecord = join(root, 'no-end-record.zip');
    await writeFile(noEndRecord, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(2000, 7)]));
    const before = await fdCount();
    await expect(getArchiveInfo(noEndRecord)).rejects.toMatchObject({ reason: 'CORRUPT' });
    await expect(new StreamingExtractor().extractStreaming(noEndRecord, join(root, 'no-end-out'))).rejects.toMatchObject({ reason: 'CORRUPT' });
    await expect(new StreamingExtractor().entries(noEndRecord).next()).rejects.toMatchObject({ reason: 'CORRUPT' });
    await expect(getArchiveInfo(corrupt)).rejects.toMatchObject({ reason: 'CORRUPT' });
    await expect(new StreamingExtractor().extractStreaming(corrupt, join(root, 'corrupt-out'))).rejects.toMatchObject({ reason: 'CORRUPT' });
    expect(await settledFdCount(before)).toBe(before);
  });

  it('refuses a zip given as a stream, naming what to pass instead', async () => {
    const error = await (async () => {
      for await (const _ of new StreamingExtractor().entries(Readable.from([await readFile(paths.zip as string)]))) void _;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason).toBe('UNSUPPORTED_FORMAT');
    expect((error as ExtractionError).suggestion).toContain('RandomAccessSource');
  });
});

describe('failing sources', () => {
  it('rejects with CORRUPT (no hang, no unhandled error) when the source stream fails midway', async () => {
    const bytes = await readFile(paths.tgz as string);
    async function* failing() {
      yield bytes.subarray(0, 600);
      throw new Error('connection reset by peer');
    }
    const out = join(root, 'failing-source');
    const error = await new StreamingExtractor().extractStreaming(Readable.from(failing()), out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason).toBe('CORRUPT');
    expect(String((error as Error).message)).toContain('connection reset');
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads a tar.gz through a RandomAccessSource', async () => {
    const source = await fileRandomAccessSource(paths.tgz as string);
    const names: string[] = [];
    for await (const entry of new StreamingExtractor().entries(source)) names.push(entry.path);
    expect(names).toHaveLength(7);
  });
});

describe('extractSelective()', () => {
  it.each(['tgz', 'zip'])('writes only matching entries of the %s', async (kind) => {
    const out = join(root, `selective-${kind}`);
    const result = await new StreamingExtractor().extractSelective(paths[kind] as string, out, ['model/**/*.json', '**/*.txt']);
    expect(Object.keys(await snapshotTree(out)).sort()).toEqual(['model', 'model/labels', 'model/labels/l.txt', 'model/params.json']);
    expect(result.files).toBe(2);
    expect(result.skipped).toBeGreaterThan(0);
  });

  it('accepts a predicate', async () => {
    const out = join(root, 'selective-predicate');
    await new StreamingExtractor().extractSelective(paths.tar as string, out, (entry) => entry.path === 'README.md');
    expect(Object.keys(await snapshotTree(out))).toEqual(['README.md']);
  });
});

describe('getArchiveInfo() and estimateArchiveSpace()', () => {
  it.each([
    ['tar', 'tar'],
    ['tgz', 'tar.gz'],
    ['zip', 'zip'],
  ])('lists the %s without writing', async (kind, format) => {
    const info = await getArchiveInfo(paths[kind] as string);
    expect(info.format).toBe(format);
    expect(info.entryCount).toBe(7);
    expect(info.totalBytes).toBe(40 * KiB + 7 + 8 + 7);
    expect(info.exact).toBe(true);
    expect(info.entries.find((e) => e.path === 'model/compiled.so')).toMatchObject({ type: 'file', mode: 0o755 });
  });

  it('is exact for zip and tar, estimated from ISIZE for tar.gz', async () => {
    const tarEstimate = await estimateArchiveSpace(paths.tar as string);
    expect(tarEstimate).toMatchObject({ exact: true, bytes: 40 * KiB + 22, entries: 7, format: 'tar' });
    expect((await estimateArchiveSpace(paths.zip as string)).exact).toBe(true);
    const gz = await estimateArchiveSpace(paths.tgz as string);
    expect(gz.exact).toBe(false);
    expect(gz.bytes).toBe((await readFile(paths.tar as string)).length);
    expect(gz.note).toContain('modulo 4 GiB');
  });

  it('reads only the headers of a large plain tar on disk', async () => {
    const big = join(root, 'big.tar');
    await writeFile(big, await buildTar(Array.from({ length: 8 }, (_, i) => ({ name: `w${i}.bin`, body: Buffer.alloc(4 * MiB, i) }))));
    const started = process.hrtime.bigint();
    const estimate = await estimateArchiveSpace(big);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(estimate).toMatchObject({ exact: true, bytes: 32 * MiB, entries: 8 });
    expect(ms).toBeLessThan(500);
  });

  it('recognises an old v7 tar by its checksum and GNU tar output by its magic', async (context) => {
    const src = join(root, 'gnu-src');
    await mkdir(src);
    await writeFile(join(src, 'a.txt'), 'a');
    try {
      execFileSync('tar', ['--format=v7', '-cf', join(root, 'v7.tar'), '-C', src, 'a.txt']);
      execFileSync('tar', ['--format=gnu', '-czf', join(root, 'gnu.tgz'), '-C', src, '.']);
    } catch {
      return context.skip('GNU tar is not installed');
    }
    const v7 = await readFile(join(root, 'v7.tar'));
    expect(detectFormat(v7)).toBe('tar');
    expect((await getArchiveInfo(join(root, 'v7.tar'))).entries.map((e) => e.path)).toEqual(['a.txt']);
    const out = join(root, 'gnu-out');
    await new StreamingExtractor().extractStreaming(join(root, 'gnu.tgz'), out);
    expect(await readFile(join(out, 'a.txt'), 'utf8')).toBe('a');
  });
});

describe('extractStreaming() options', () => {
  it('atomic: stages beside the destination and renames into place', async () => {
    const out = join(root, 'atomic-out');
    const result = await new StreamingExtractor().extractStreaming(paths.tgz as string, out, { atomic: true });
    expect(result.files).toBe(4);
    expect(Object.keys(await snapshotTree(out))).toContain('model/current');
    expect((await readdir(root)).filter((n) => n.includes('staging'))).toEqual([]);
  });

  it('atomic: refuses a destination that is not empty', async () => {
    const out = join(root, 'atomic-busy');
    await mkdir(out);
    await writeFile(join(out, 'x'), 'x');
    await expect(new StreamingExtractor().extractStreaming(paths.tgz as string, out, { atomic: true })).rejects.toBeInstanceOf(ConfigurationError);
    expect(await readdir(out)).toEqual(['x']);
  });

  it('atomic: a failure leaves neither the destination nor the staging folder', async () => {
    const parent = join(root, 'atomic-fail');
    await mkdir(parent);
    const bad = join(parent, 'bad.tar');
    await writeFile(bad, await buildTar([{ name: 'ok', body: 'ok' }, { name: '../x', body: 'x' }]));
    await expect(new StreamingExtractor().extractStreaming(bad, join(parent, 'out'), { atomic: true })).rejects.toMatchObject({ reason: 'PATH_TRAVERSAL' });
    expect(await readdir(parent)).toEqual(['bad.tar']);
  });

  it('creates hard links to files extracted earlier in the same call', async () => {
    const archivePath = join(root, 'hardlinks.tar');
    await writeFile(archivePath, await buildTar([{ name: 'lib/libdlr.so', body: 'elf' }, { name: 'lib/libdlr.so.1', type: 'link', linkname: 'lib/libdlr.so' }]));
    const out = join(root, 'hardlinks');
    const result = await new StreamingExtractor().extractStreaming(archivePath, out);
    expect(result).toMatchObject({ files: 1, links: 1 });
    const [a, b] = await Promise.all([stat(join(out, 'lib/libdlr.so')), stat(join(out, 'lib/libdlr.so.1'))]);
    expect(b.ino).toBe(a.ino);
    expect(await readFile(join(out, 'lib/libdlr.so.1'), 'utf8')).toBe('elf');
  });

  it('skips, and lists, a hard link whose target the filter left out or the cleanup callback removed', async () => {
    // Found by the fuzzer: the upload-and-delete pattern refused any archive with a hard link
    // as LINK_ESCAPE ("points outside the destination"), though the archive did nothing wrong.
    const archivePath = join(root, 'released-targets.tar');
    await writeFile(archivePath, await buildTar([{ name: 'lib/libdlr.so', body: 'elf' }, { name: 'lib/libdlr.so.1', type: 'link', linkname: 'lib/libdlr.so' }, { name: 'keep.txt', body: 'k' }]));

    const uploaded: string[] = [];
    const deleted = await new StreamingExtractor().extractStreaming(archivePath, join(root, 'released-by-callback'), {
      cleanupCallback: async (entry, path) => {
        uploaded.push(entry.path);
        await rm(path);
      },
    });
    expect(uploaded).toEqual(['lib/libdlr.so', 'keep.txt']);
    expect(deleted).toMatchObject({ files: 2, links: 0, skipped: 1, hardLinksSkipped: ['lib/libdlr.so.1'] });

    const out = join(root, 'released-by-filter');
    const filtered = await new StreamingExtractor().extractStreaming(archivePath, out, { filter: (entry) => entry.path !== 'lib/libdlr.so' });
    expect(filtered).toMatchObject({ files: 1, links: 0, skipped: 2, hardLinksSkipped: ['lib/libdlr.so.1'] });
    expect(await readdir(out, { recursive: true })).toEqual(['keep.txt']);

    // A callback that deletes later than its own call (here: the previous file, as a batch would).
    const late = join(root, 'released-late.tar');
    await writeFile(late, await buildTar([{ name: 'lib/libdlr.so', body: 'elf' }, { name: 'keep.txt', body: 'k' }, { name: 'lib/libdlr.so.1', type: 'link', linkname: 'lib/libdlr.so' }]));
    let previous: string | undefined;
    const batched = await new StreamingExtractor().extractStreaming(late, join(root, 'released-late'), {
      cleanupCallback: async (_entry, path) => {
        if (previous !== undefined) await rm(previous);
        previous = path;
      },
    });
    expect(batched).toMatchObject({ files: 2, links: 0, skipped: 1, hardLinksSkipped: ['lib/libdlr.so.1'] });

    // A link to a file the archive never had is still an escape attempt.
    const liar = join(root, 'liar.tar');
    await writeFile(liar, await buildTar([{ name: 'lib/libdlr.so.1', type: 'link', linkname: 'lib/libdlr.so' }]));
    const error = await new StreamingExtractor().extractStreaming(liar, join(root, 'liar'), { filter: () => true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'LINK_ESCAPE' });
  });

  it('cancels with an AbortSignal and removes what it wrote', async () => {
    const controller = new AbortController();
    const out = join(root, 'aborted');
    const error = await new StreamingExtractor()
      .extractStreaming(paths.tgz as string, out, {
        cleanupCallback: () => controller.abort(),
        signal: controller.signal,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason).toBe('ABORTED');
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports ProcessingState progress ending in "done"', async () => {
    const states: ProcessingState[] = [];
    await new StreamingExtractor({ onProgress: (s) => states.push(s) }).extractStreaming(paths.zip as string, join(root, 'progress'));
    const last = states[states.length - 1] as ProcessingState;
    expect(last.currentPhase).toBe('done');
    expect(last.filesProcessed).toBe(7);
    expect(last.totalFiles).toBe(7);
    expect(last.bytesProcessed).toBe(40 * KiB + 22);
    expect(last.diskUsage).toBe(40 * KiB + 22);
  });
});
