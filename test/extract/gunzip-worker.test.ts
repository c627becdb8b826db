// gunzipWorker: the same entries, bytes and errors as gunzip on the calling thread, from a file
// (the worker reads it) and from a stream (this thread feeds it), and nothing left running or
// open afterwards.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractionError, InsufficientStorageError } from '../../src/errors/index.js';
import { StreamingExtractor, type ArchiveSource, type ExtractionLimits, type ExtractorStorage } from '../../src/extract/index.js';
import { repackage } from '../../src/repackage/index.js';
import { KiB, MiB } from '../../src/units.js';
import { isMounted, mountTmpfs } from '../support/tmpfs.js';
import { buildTar, buildTarGz, chunked, rawTar, tarRecord } from './support/build-archives.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ssa-gunzip-worker-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let fileCount = 0;
async function saved(bytes: Buffer): Promise<string> {
  const path = join(scratch, `a${fileCount++}.tar.gz`);
  await writeFile(path, bytes);
  return path;
}

/** Every entry's path, type and body digest, in order. */
async function listing(source: () => ArchiveSource, gunzipWorker: boolean, limits: Partial<ExtractionLimits> = {}): Promise<string[]> {
  const seen: string[] = [];
  for await (const entry of new StreamingExtractor({ gunzipWorker, limits }).entries(source())) {
    const hash = createHash('sha256');
    for await (const chunk of entry.body) hash.update(chunk as Buffer);
    seen.push(`${entry.type} ${entry.path} ${entry.size} ${hash.digest('hex')}`);
  }
  return seen;
}

/** What reading the archive fails with: its class, code, reason and message. */
async function failure(source: () => ArchiveSource, gunzipWorker: boolean): Promise<Record<string, unknown>> {
  const error = await listing(source, gunzipWorker).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtractionError);
  const typed = error as ExtractionError;
  return { name: typed.name, code: typed.code, reason: typed.reason, message: typed.message };
}

/** How `archive` fails on the calling thread, checked to be how it fails on the worker from a file and from a stream in `chunkBytes` chunks. */
async function sameFailureEverywhere(archive: Buffer, chunkBytes: number): Promise<Record<string, unknown>> {
  const path = await saved(archive);
  const inline = await failure(() => path, false);
  expect(await failure(() => path, true)).toEqual(inline);
  expect(await failure(() => chunked(archive, chunkBytes), true)).toEqual(inline);
  return inline;
}

function flip(bytes: Buffer, at: number, mask: number): void {
  bytes.writeUInt8(bytes.readUInt8(at) ^ mask, at);
}

const openDescriptors = () => readdirSync('/proc/self/fd').length;
const threads = () => readdirSync('/proc/self/task').length;

describe('gunzipWorker reads what the calling thread reads', () => {
  it('gives the same entries and bodies from files and streams of any chunking (fast-check, 100 runs)', async () => {
    const body = fc.oneof(
      fc.integer({ min: 0, max: 200 * KiB }).map((n) => randomBytes(n)),
      fc.integer({ min: 1, max: 300 * KiB }).map((n) => Buffer.alloc(n, 'model weights ')),
    );
    const trailer = fc.oneof(
      fc.constant(Buffer.alloc(0)),
      fc.integer({ min: 1, max: 8 * KiB }).map((n) => Buffer.alloc(n)),
      fc.integer({ min: 1, max: 600 }).map((n) => randomBytes(n)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.integer({ min: 1, max: 96 * KiB }), trailer, async (bodies, twoMembers, chunkBytes, tail) => {
        const entries = bodies.map((b, i) => ({ name: `dir/f${i}.bin`, body: b }));
        const tar = await buildTar(entries);
        // A tar.gz may be several gzip members end to end (pigz, cat a.gz b.gz); both read through.
        const members = twoMembers ? Buffer.concat([gzipSync(tar.subarray(0, tar.length >> 1)), gzipSync(tar.subarray(tar.length >> 1))]) : gzipSync(tar);
        // Bytes after the last member (padding, junk): zlib ends its output early there, while it
        // still flushes into its buffer; once that crashed the process (the buffer was handed over).
        // Junk that is not a gzip header is zlib's error, the same one; how many entries come out
        // before it depends on how much output was buffered when zlib stopped (it differs between
        // chunkings on the calling thread too), so the error is compared by reason and zlib's words.
        const gz = Buffer.concat([members, tail]);
        const path = await saved(gz);
        const outcome = (source: () => ArchiveSource, gunzipWorker: boolean) =>
          listing(source, gunzipWorker).then(
            (seen) => seen,
            (error: unknown) => `${(error as ExtractionError).reason}: ${((error as Error).cause as Error | undefined)?.message}`,
          );
        const expected = await outcome(() => path, false);
        if (tail.length === 0) expect(expected).toHaveLength(entries.length);
        expect(await outcome(() => path, true)).toEqual(expected);
        expect(await outcome(() => chunked(gz, chunkBytes), true)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('repackages to the same zip, byte for byte', async () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ name: `m/${i}.bin`, body: i % 2 ? randomBytes(64 * KiB + i) : Buffer.alloc(128 * KiB, `row ${i} `) }));
    entries.push({ name: 'm/weights.bin', body: randomBytes(5 * MiB) });
    const path = await saved(await buildTarGz(entries));
    const zipOf = async (gunzipWorker: boolean) => {
      const out = join(scratch, `same-${gunzipWorker}.zip`);
      const result = await repackage({ source: path, output: out, deterministic: true, gunzipWorker });
      return result.sha256;
    };
    const inline = await zipOf(false);
    expect(await zipOf(true)).toBe(inline);
  });

  it('refuses a hostile entry the same way', async () => {
    const tar = rawTar(tarRecord({ name: 'ok.txt' }, 'fine'), tarRecord({ name: '../../etc/evil' }, 'x'));
    const path = await saved(gzipSync(tar));
    const inline = await failure(() => path, false);
    expect(inline.reason).toBe('PATH_TRAVERSAL');
    expect(await failure(() => path, true)).toEqual(inline);
  });
});

describe('gunzipWorker fails as the calling thread fails', () => {
  const entries = [
    { name: 'a.bin', body: randomBytes(600 * KiB) },
    { name: 'b.txt', body: Buffer.alloc(900 * KiB, 'text ') },
  ];

  it('a flipped byte inside the deflate data is CORRUPT, with zlib own message', async () => {
    const gz = await buildTarGz(entries);
    flip(gz, gz.length >> 1, 0xff);
    flip(gz, (gz.length >> 1) + 1, 0x55);
    expect((await sameFailureEverywhere(gz, 16 * KiB)).reason).toBe('CORRUPT');
  });

  it('a cut archive is CORRUPT', async () => {
    const gz = await buildTarGz(entries);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    expect((await sameFailureEverywhere(cut, 7 * KiB)).reason).toBe('CORRUPT');
  });

  it('a source stream that fails midway is CORRUPT with its own message, and ends (no hang)', async () => {
    const gz = await buildTarGz(entries);
    async function* failing() {
      yield gz.subarray(0, 300 * KiB);
      throw new Error('connection reset by peer');
    }
    const inline = await failure(() => Readable.from(failing()), false);
    expect(inline.reason).toBe('CORRUPT');
    expect(inline.message).toContain('connection reset by peer');
    expect(await failure(() => Readable.from(failing()), true)).toEqual(inline);
  });

  it('bytes after the last gzip member are judged as zlib judges them, on both threads', async () => {
    const gz = await buildTarGz(entries);
    for (const tail of [Buffer.alloc(4 * KiB), Buffer.from('not gzip at all')]) {
      const path = await saved(Buffer.concat([gz, tail]));
      const outcome = (gunzipWorker: boolean) =>
        listing(() => path, gunzipWorker).then(
          (seen) => ({ ok: true, seen: seen.length }),
          (error: unknown) => ({ ok: false, message: (error as Error).message }),
        );
      expect(await outcome(true)).toEqual(await outcome(false));
    }
  });

  it('a decompression bomb is stopped by the ratio limit, judged on what zlib really consumed', async () => {
    // 64 MiB of zeros: about 64 KiB compressed, 1,000:1, judged here against a limit of 100:1.
    const bomb = gzipSync(await buildTar([{ name: 'zeros.bin', body: Buffer.alloc(64 * MiB) }]), { level: 9 });
    const path = await saved(bomb);
    for (const source of [() => path, () => chunked(bomb, 64 * KiB)]) {
      const error = await listing(source, true, { maxCompressionRatio: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtractionError);
      const typed = error as ExtractionError;
      expect(typed.reason).toBe('LIMIT_EXCEEDED');
      expect(typed.details).toMatchObject({ limit: 'maxCompressionRatio', max: 100 });
      // Stopped early: far from the 64 MiB it would have made.
      expect((typed.details as { uncompressedBytes: number }).uncompressedBytes).toBeLessThan(16 * MiB);
    }
  });

  it('a real full disk gives InsufficientStorageError and removes what was written', async (context) => {
    const tmpfs = mountTmpfs(8 * MiB);
    if (!isMounted(tmpfs)) return context.skip(tmpfs.skipReason);
    try {
      const optimistic: ExtractorStorage = { getAvailableSpace: async () => 1e12, ensureSpace: async () => undefined };
      const path = await saved(await buildTarGz(Array.from({ length: 4 }, (_, i) => ({ name: `part-${i}.bin`, body: randomBytes(3 * MiB) }))));
      const error = await new StreamingExtractor({ storage: optimistic, gunzipWorker: true }).extractStreaming(path, join(tmpfs.path, 'dest')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientStorageError);
      expect(((error as InsufficientStorageError).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
      expect(await readdir(tmpfs.path)).toEqual([]);
    } finally {
      tmpfs.unmount();
    }
  });
});

describe('gunzipWorker leaves nothing behind', () => {
  it('closes the file and stops its thread when the caller stops early, after an error, or at the end', async () => {
    const gz = await buildTarGz(Array.from({ length: 8 }, (_, i) => ({ name: `f${i}.bin`, body: randomBytes(512 * KiB) })));
    const path = await saved(gz);
    const broken = Buffer.from(gz);
    flip(broken, broken.length >> 1, 0xff);
    const brokenPath = await saved(broken);
    const extractor = new StreamingExtractor({ gunzipWorker: true });
    await listing(() => path, true); // warms up the thread pool, which starts its threads once
    const fds = openDescriptors();
    const tasks = threads();
    for await (const entry of extractor.entries(path)) {
      expect(entry.path).toBe('f0.bin');
      break;
    }
    expect(openDescriptors()).toBe(fds);
    expect(threads()).toBe(tasks);
    await expect(listing(() => brokenPath, true)).rejects.toBeInstanceOf(ExtractionError);
    expect(openDescriptors()).toBe(fds);
    expect(threads()).toBe(tasks);
    await repackage({ source: path, output: new Writable({ write: (_c, _e, cb) => cb() }), gunzipWorker: true });
    expect(openDescriptors()).toBe(fds);
    expect(threads()).toBe(tasks);
  });
});
