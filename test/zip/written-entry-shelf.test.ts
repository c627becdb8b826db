// The shelf keeps yazl's per-pump entry scan short. Here, on a real yazl ZipFile: it does move
// written entries aside while entries are still queued (deflate, added faster than written),
// waits for every entry, puts them all back in order, and the zip reads back whole. And it
// stays out of the way of a yazl whose internals it does not recognise.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';
import { afterAll, describe, expect, it } from 'vitest';
import { WrittenEntryShelf } from '../../src/zip/written-entry-shelf.js';
import { readZip } from './read-zip.js';

const work = mkdtempSync(join(tmpdir(), 'ssa-shelf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const internals = (zip: yazl.ZipFile) => zip as unknown as { entries: Array<{ utf8FileName: Buffer }> };

describe('WrittenEntryShelf', () => {
  it('shelves written entries while others are queued, then restores all of them in order', async () => {
    const zip = new yazl.ZipFile();
    const shelf = new WrittenEntryShelf(zip);
    shelf.watch(zip.outputStream as unknown as Readable);
    const out = join(work, 'shelved.zip');
    const sink = zip.outputStream.pipe(createWriteStream(out));
    const count = 3000;
    for (let i = 0; i < count; i++) zip.addBuffer(Buffer.from(`entry ${i} `.repeat(20)), `e/${i}.txt`, { compress: true });
    let shortest = internals(zip).entries.length;
    const sampler = setInterval(() => (shortest = Math.min(shortest, internals(zip).entries.length)), 1);
    await shelf.allWritten();
    clearInterval(sampler);
    // yazl's own list got shorter than what was queued: entries were moved aside as written.
    expect(shortest).toBeLessThan(count);
    shelf.restore();
    expect(internals(zip).entries.map((e) => e.utf8FileName.toString())).toEqual(Array.from({ length: count }, (_, i) => `e/${i}.txt`));
    zip.end();
    await finished(sink);
    const { entries, entryCount } = await readZip(out);
    expect(entryCount).toBe(count);
    expect(entries.map((e) => e.name)).toEqual(Array.from({ length: count }, (_, i) => `e/${i}.txt`));
    expect(entries[count - 1]!.data.toString()).toBe(`entry ${count - 1} `.repeat(20));
  });

  it('waits for nothing and changes nothing when yazl does not look as expected', async () => {
    for (const entries of [undefined, Array.from({ length: 600 }, () => ({ state: 3 })), Array.from({ length: 600 }, () => ({ state: 'done' }))]) {
      const zip = { entries, outputStream: undefined } as unknown as yazl.ZipFile;
      const shelf = new WrittenEntryShelf(zip);
      await shelf.allWritten(); // would hang if it waited
      shelf.restore();
      expect((zip as unknown as { entries: unknown }).entries).toBe(entries);
    }
  });
});
