// Deflate on worker threads must change nothing but the speed: the same bytes as on the calling
// thread, segment by segment and zip by zip, the same errors, and nothing left running.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import fc from 'fast-check';
import tarStream from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ExtractionError, InsufficientStorageError } from '../../src/errors/index.js';
import { repackage } from '../../src/repackage/index.js';
import { segmentDeflater } from '../../src/zip/deflate-pool.js';
import { IncrementalZipper } from '../../src/zip/index.js';
import { deflateSegment, SEGMENT_BYTES } from '../../src/zip/segment-deflate.js';
import { generatedTar } from '../repackage/generated-tar.js';
import { isMounted, mountTmpfs } from '../support/tmpfs.js';
import { readZip, unzipTest } from './read-zip.js';

const work = mkdtempSync(join(tmpdir(), 'ssa-deflate-pool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = promisify(execFile);
const KiB = 1024;
const pool = segmentDeflater(3);

/** Content deflate finds something in: text, zeros and random runs, seeded by fast-check. */
const content = fc
  .array(fc.tuple(fc.constantFrom('text', 'zeros', 'random'), fc.integer({ min: 1, max: 96 * KiB })), { minLength: 1, maxLength: 6 })
  .map((runs) =>
    Buffer.concat(
      runs.map(([kind, bytes]) =>
        kind === 'zeros' ? Buffer.alloc(bytes) : kind === 'random' ? randomBytes(bytes) : Buffer.from('{"box": [1, 2, 3, 4], "label": "person"}\n'.repeat(Math.ceil(bytes / 41))).subarray(0, bytes),
      ),
    ),
  )
  // Below 16 KiB a segment is deflated on the calling thread; these must go to a worker.
  .filter((data) => data.length >= 16 * KiB);

/** A tar of files of the given sizes (half random, half text, or the given data), as a Readable. */
function tarOf(files: Array<{ name: string; bytes: number; data?: Buffer }>): Readable {
  const pack = tarStream.pack();
  for (const { name, bytes, data } of files) {
    const half = Math.floor(bytes / 2);
    pack.entry({ name, size: bytes, mtime: new Date(0) }, data ?? Buffer.concat([randomBytes(half), Buffer.from('weights '.repeat(Math.ceil((bytes - half) / 8))).subarray(0, bytes - half)]));
  }
  pack.finalize();
  return Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('deflate on worker threads', () => {
  it('compresses every segment to exactly the bytes of the calling thread (dictionary, flush, level)', async () => {
    await fc.assert(
      fc.asyncProperty(content, fc.option(content, { nil: undefined }), fc.boolean(), fc.integer({ min: 1, max: 9 }), async (data, previous, final, level) => {
        const dictionary = previous?.subarray(-32 * KiB);
        const job = { data, dictionary, final, level };
        const there = await pool.deflate(job);
        expect(Buffer.compare(there, deflateSegment(job))).toBe(0);
        // The caller's buffers are its own: not detached, not changed.
        expect(data.length).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps many jobs in flight in order of their promises, each with its own result', async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => ({ data: Buffer.concat([randomBytes(20 * KiB + i * 997), Buffer.alloc(40 * KiB)]), dictionary: undefined, final: i % 2 === 0, level: 6 }));
    const results = await Promise.all(jobs.map((job) => pool.deflate(job)));
    results.forEach((bytes, i) => expect(Buffer.compare(bytes, deflateSegment(jobs[i]!))).toBe(0));
  });

  it('writes a byte-identical zip with 1, 2 and 4 workers (small, whole, multi-segment and stored entries)', async () => {
    const files = [
      { name: 'model/config.json', bytes: 700 },
      ...Array.from({ length: 60 }, (_, i) => ({ name: `model/labels/${i}.json`, bytes: 3 * KiB + i * 511 })),
      { name: 'model/weights.000', bytes: 3 * SEGMENT_BYTES + 12_345 },
      { name: 'model/empty', bytes: 0 },
      { name: 'model/weights.001', bytes: SEGMENT_BYTES },
    ];
    const digests = new Set<string>();
    for (const workers of [1, 2, 4]) {
      const out = join(work, `same-${workers}.zip`);
      // The same content each time (seeded), so only the worker count differs.
      const result = await repackage({ source: tarOf(seeded(files)), output: out, deflateWorkers: workers, deterministic: true });
      expect(result.sha256).toBe(sha256(out));
      digests.add(result.sha256);
      expect((await readZip(out)).entries.length).toBe(files.length);
    }
    expect(digests.size).toBe(1);
    await unzipTest(join(work, 'same-4.zip'));
  }, 60_000);

  it('adds buffers and streams through IncrementalZipper with the same bytes for any worker count', async () => {
    const big = Buffer.concat([randomBytes(SEGMENT_BYTES), Buffer.alloc(SEGMENT_BYTES / 2)]);
    const small = Buffer.from('{"label": "cat"}\n'.repeat(3000));
    const digests: string[] = [];
    for (const workers of [1, 3]) {
      const zipper = new IncrementalZipper(join(work, `zipper-${workers}.zip`), { deflateWorkers: workers, deterministic: true });
      await zipper.addBuffer(small, 'small.json');
      await zipper.addStream(Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), 'big.bin', { size: big.length });
      await zipper.addBuffer(randomBytesSeeded(40 * KiB), 'random.bin');
      digests.push((await zipper.finalize()).sha256);
    }
    expect(digests[0]).toBe(digests[1]);
  });

  it("'auto' keeps the sample's trial deflate as the first segment of a whole entry: deflated once, same bytes for any worker count", async () => {
    await fc.assert(
      fc.asyncProperty(content.filter((data) => data.length > 64 * KiB && data.length < SEGMENT_BYTES), async (data) => {
        const digests: string[] = [];
        for (const workers of [1, 2]) {
          const path = join(work, `trial-${workers}.zip`);
          const zipper = new IncrementalZipper(path, { deflateWorkers: workers, deterministic: true, overwrite: true });
          await zipper.addBuffer(data, 'entry.bin');
          const result = await zipper.finalize();
          digests.push(result.sha256);
          const [entry] = (await readZip(path)).entries;
          // The content reads back whole; when deflated, its bytes are exactly the trial segment
          // (the first 64 KiB, not final) followed by the rest against it as dictionary.
          expect(entry?.data.equals(data)).toBe(true);
          const sample = data.subarray(0, 64 * KiB);
          const head = deflateSegment({ data: sample, dictionary: undefined, final: false, level: 6 });
          if (entry?.compressionMethod === 8) {
            const tail = deflateSegment({ data: data.subarray(64 * KiB), dictionary: sample.subarray(sample.length - 32 * KiB), final: true, level: 6 });
            expect(entry.compressedSize).toBe(head.length + tail.length);
          } else {
            expect(head.length).toBeGreaterThan(sample.length * 0.9);
          }
        }
        expect(digests[0]).toBe(digests[1]);
      }),
      { numRuns: 100 },
    );
  });

  it('fails a hostile entry the same way with workers as without, leaving no output', async () => {
    for (const workers of [1, 2]) {
      const out = join(work, `hostile-${workers}.zip`);
      const error = await repackage({ source: tarOf([{ name: 'ok.bin', bytes: 200 * KiB }, { name: '../../etc/evil', bytes: 100 }]), output: out, deflateWorkers: workers }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtractionError);
      expect(error).toMatchObject({ reason: 'PATH_TRAVERSAL' });
      expect(existsSync(out)).toBe(false);
    }
  });

  it('turns a full disk into the same InsufficientStorageError with workers as without', async (context) => {
    const disk = mountTmpfs(2 * 1024 * 1024);
    if (!isMounted(disk)) {
      console.log(`skipping: ${disk.skipReason}`);
      return context.skip();
    }
    try {
      const reasons: unknown[] = [];
      for (const workers of [1, 2]) {
        const out = join(disk.path, `full-${workers}.zip`);
        const error = await repackage({ source: generatedTar(8 * 1024 * 1024, 4 * 1024 * 1024), output: out, deflateWorkers: workers }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InsufficientStorageError);
        expect(existsSync(out)).toBe(false);
        reasons.push((error as InsufficientStorageError).code);
      }
      expect(reasons[0]).toBe(reasons[1]);
    } finally {
      disk.unmount();
    }
  });

  it('refuses a worker count that is not a whole number from 1', () => {
    for (const workers of [0, -1, 1.5, Number.NaN]) {
      expect(() => new IncrementalZipper(join(work, 'never.zip'), { deflateWorkers: workers })).toThrow(ConfigurationError);
    }
    expect(existsSync(join(work, 'never.zip'))).toBe(false);
  });

  it('never keeps the process alive: a script that zips with workers exits on its own', async () => {
    const script = join(work, 'exits.mjs');
    const out = join(work, 'exits.zip');
    const source = join(import.meta.dirname, '../../src/zip/index.ts');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        script,
        `import { IncrementalZipper } from ${JSON.stringify(source)};
const zipper = new IncrementalZipper(${JSON.stringify(out)}, { deflateWorkers: 2 });
await zipper.addBuffer(Buffer.alloc(4 * 1024 * 1024, 7), 'a.bin');
const result = await zipper.finalize();
console.log(result.entries);`,
      ),
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 });
    expect(stdout.trim()).toBe('1');
    expect(existsSync(out)).toBe(true);
  });
});

// Random-looking but fixed content, so two runs of the same test see the same bytes.
function randomBytesSeeded(bytes: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const seededCache = new Map<string, Buffer>();
function seeded(files: Array<{ name: string; bytes: number }>): Array<{ name: string; bytes: number; data: Buffer }> {
  return files.map(({ name, bytes }, i) => {
    const key = `${name}:${bytes}`;
    let data = seededCache.get(key);
    if (!data) {
      const half = Math.floor(bytes / 2);
      data = Buffer.concat([randomBytesSeeded(half, i + 1), Buffer.from('weights '.repeat(Math.ceil((bytes - half) / 8))).subarray(0, bytes - half)]);
      seededCache.set(key, data);
    }
    return { name, bytes, data };
  });
}
