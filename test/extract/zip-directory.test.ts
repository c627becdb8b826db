// The central directory is parsed by us (src/extract/readers/zip-directory.ts), from 1 MiB reads:
// records that straddle those reads, zip64 fields, Unicode names and the refusals yauzl made
// (bad signature, truncated directory, stored size mismatch) must all hold as they did.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { StreamingExtractor } from '../../src/index.js';

interface ZipFile {
  name: string;
  body: Buffer;
  zip64: boolean;
  compress: boolean;
}

async function writeZip(files: readonly ZipFile[], comment = ''): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const file of files) {
    // yazl writes fileComment into the central record; @types/yazl does not list it.
    const options = { mtime: new Date(1_700_000_000_000), mode: 0o100644, compress: file.compress, forceZip64Format: file.zip64, fileComment: comment };
    zip.addBuffer(file.body, file.name, options);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readAll(path: string): Promise<Array<{ path: string; size: number; body: Buffer }>> {
  const read: Array<{ path: string; size: number; body: Buffer }> = [];
  for await (const entry of new StreamingExtractor({ limits: { maxEntries: 1_000_000 } }).entries(path)) {
    const parts: Buffer[] = [];
    for await (const chunk of entry.body) parts.push(chunk as Buffer);
    read.push({ path: entry.path, size: entry.size, body: Buffer.concat(parts) });
  }
  return read;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ssa-zipdir-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('zip central directory', () => {
  it('reads every record, zip64 or not, stored or deflated, with any names', async () => {
    const file = fc.record({
      name: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.constantFrom('é.txt', '日本/語.bin', 'a b/c.json')),
      body: fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)),
      zip64: fc.boolean(),
      compress: fc.boolean(),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(file, { selector: (f) => f.name, maxLength: 12 }), async (files) => {
        const path = join(work, `p${run++}.zip`);
        await writeFile(path, await writeZip(files));
        const read = await readAll(path);
        expect(read.map((r) => r.path)).toEqual(files.map((f) => f.name));
        for (const [i, f] of files.entries()) {
          expect(read[i]!.size).toBe(f.body.length);
          expect(read[i]!.body.equals(f.body)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reads records that straddle its 1 MiB reads (long comments, 3,000 entries)', async () => {
    // Each record carries a 600-byte comment, so the directory is about 2 MiB.
    const files = Array.from({ length: 3000 }, (_, i) => ({ name: `d/${String(i).padStart(5, '0')}.txt`, body: Buffer.from(`entry ${i}`), zip64: i % 7 === 0, compress: i % 2 === 0 }));
    const path = join(work, 'straddle.zip');
    const zip = await writeZip(files, 'c'.repeat(600));
    // The size of the central directory, from the end record (zip64 end record when present).
    const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    expect(zip.readUInt32LE(eocd + 12)).toBeGreaterThan(1.5 * 1024 * 1024);
    await writeFile(path, zip);
    const read = await readAll(path);
    expect(read).toHaveLength(3000);
    expect(read.every((r, i) => r.body.toString() === `entry ${i}`)).toBe(true);
  });

  it('refuses a directory whose record signature is wrong, or that is cut short, as CORRUPT', async () => {
    const zip = await writeZip([{ name: 'a.txt', body: Buffer.from('hello'), zip64: false, compress: false }, { name: 'b.txt', body: Buffer.from('world'), zip64: false, compress: false }]);
    const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const cdOffset = zip.readUInt32LE(eocd + 16);
    const badSignature = Buffer.from(zip);
    const second = badSignature.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), cdOffset + 4);
    badSignature.writeUInt32LE(0x12345678, second);
    // The end record claims three entries where two are stored: the third read runs into the end record.
    const tooMany = Buffer.from(zip);
    tooMany.writeUInt16LE(3, eocd + 8);
    tooMany.writeUInt16LE(3, eocd + 10);
    for (const [label, bytes, message] of [
      ['bad-signature', badSignature, /central directory file header signature/],
      ['too-many', tooMany, /central directory/],
    ] as const) {
      const path = join(work, `${label}.zip`);
      await writeFile(path, bytes);
      const failure = await readAll(path).then(
        () => undefined,
        (error: unknown) => error as { reason?: string; message: string },
      );
      expect(failure?.reason, label).toBe('CORRUPT');
      expect(failure?.message, label).toMatch(message);
    }
  });
});
