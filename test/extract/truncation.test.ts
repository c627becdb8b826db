// A cut archive names the entry that was cut, and only that one: an entry whose bytes are all
// there is never blamed. A tar.gz is only complete once its gzip trailer (CRC-32 and length)
// has been read and checked, even though the tar's end marker comes before it.
import { Readable } from 'node:stream';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractionError } from '../../src/errors/index.js';
import { StreamingExtractor } from '../../src/extract/index.js';
import { buildTar } from './support/build-archives.js';

let root: string;
let counter = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssa-truncation-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const BLOCK = 512;

/** The error extraction of `archive` throws (from a file, or from a stream when `asStream`), and what it left in the destination. */
async function extractError(archive: Buffer, asStream: boolean): Promise<{ error: unknown; left: string[] }> {
  const dest = join(root, `dest-${++counter}`);
  const file = join(root, `archive-${counter}`);
  await writeFile(file, archive);
  const source = asStream ? Readable.from([archive]) : file;
  const error = await new StreamingExtractor().extractStreaming(source, dest).then(
    () => undefined,
    (e: unknown) => e,
  );
  const left = await readdir(dest).catch(() => []);
  return { error, left };
}

describe('truncated archives', () => {
  it('a cut tar names the entry whose body was cut, and no entry when the cut falls between entries (property, file and stream)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.boolean(),
        async (sizes, where, asStream) => {
          const entries = sizes.map((size, i) => ({ name: `f${i}.bin`, body: Buffer.alloc(size, i + 1) }));
          const whole = await buildTar(entries);
          // Where each body lies in the tar (short names: one 512-byte header each, no PAX).
          const bodies: { name: string; start: number; end: number }[] = [];
          let offset = 0;
          for (const entry of entries) {
            bodies.push({ name: entry.name, start: offset + BLOCK, end: offset + BLOCK + entry.body.length });
            offset += BLOCK + Math.ceil(entry.body.length / BLOCK) * BLOCK;
          }
          // Cut anywhere after the first header (so the format is still recognisable) and
          // before the end-of-archive marker is whole.
          const cut = BLOCK + Math.floor(where * offset);
          const { error, left } = await extractError(whole.subarray(0, cut), asStream);
          expect(error).toBeInstanceOf(ExtractionError);
          const failure = error as ExtractionError;
          expect(failure.reason).toBe('CORRUPT');
          const cutBody = bodies.find((body) => cut >= body.start && cut < body.end);
          if (cutBody !== undefined) {
            expect(failure.entryPath).toBe(cutBody.name);
          } else {
            // Between entries (in a header, a padding or the end marker): every entry before is whole.
            expect(failure.entryPath).toBeUndefined();
            const lastWhole = bodies.filter((body) => body.end <= cut && body.start <= cut).at(-1);
            if (lastWhole !== undefined && cut >= lastWhole.start) expect(failure.message).toContain(`after the last complete entry "${lastWhole.name}"`);
          }
          expect(left).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it.each([
    ['cut by one byte (the length field is short)', (gz: Buffer) => gz.subarray(0, gz.length - 1)],
    ['cut by five bytes (the CRC-32 is short)', (gz: Buffer) => gz.subarray(0, gz.length - 5)],
    ['with its CRC-32 altered', (gz: Buffer) => Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.from([gz[gz.length - 8]! ^ 0xff]), gz.subarray(gz.length - 7)])],
    ['with its length altered', (gz: Buffer) => Buffer.concat([gz.subarray(0, gz.length - 1), Buffer.from([gz[gz.length - 1]! ^ 0x01])])],
  ])('a tar.gz whose gzip trailer is damaged is refused, nothing left behind: %s', async (_label, damage) => {
    const gz = gzipSync(await buildTar([{ name: 'a.bin', body: Buffer.alloc(70_000, 7) }, { name: 'b.txt', body: 'tail' }]));
    for (const asStream of [false, true]) {
      const { error, left } = await extractError(damage(gz), asStream);
      expect(error).toBeInstanceOf(ExtractionError);
      expect((error as ExtractionError).reason).toBe('CORRUPT');
      // Both entries are whole: neither is named as the damaged one.
      expect((error as ExtractionError).entryPath).toBeUndefined();
      // (Where zlib reports it depends on how much input it had at once: at the end marker,
      // or, for an archive this small, before the first entry was handed out.)
      expect((error as ExtractionError).message).toMatch(/after its end-of-archive marker|before its first entry/);
      expect(left).toEqual([]);
    }
  });

  it('the intact tar.gz still extracts (the trailer check reads only what follows the end marker)', async () => {
    const gz = gzipSync(await buildTar([{ name: 'a.bin', body: Buffer.alloc(70_000, 7) }, { name: 'b.txt', body: 'tail' }]));
    const dest = join(root, 'intact');
    const result = await new StreamingExtractor().extractStreaming(Readable.from([gz]), dest);
    expect(result.files).toBe(2);
    expect((await readdir(dest)).sort()).toEqual(['a.bin', 'b.txt']);
  });
});
