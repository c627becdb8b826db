// The shelf keeps yazl's per-pump scan short; the 65,600-entry test in incremental-zipper.test.ts
// checks the zip it helps write. Here: it moves only the written prefix, and puts it all back
// in order.
import type yazl from 'yazl';
import { describe, expect, it } from 'vitest';
import { WrittenEntryShelf } from '../../src/zip/written-entry-shelf.js';

const WRITTEN = 3;
const entry = (id: number, state = WRITTEN) => ({ id, state });

function fakeZip(entries: unknown): { entries: Array<{ id: number; state: number }> } {
  return { entries } as { entries: Array<{ id: number; state: number }> };
}

describe('WrittenEntryShelf', () => {
  it('shelves the written head of the list in batches and restores every entry in order', () => {
    const zip = fakeZip([]);
    const shelf = new WrittenEntryShelf(zip as unknown as yazl.ZipFile);
    for (let id = 0; id < 1500; id++) {
      zip.entries.push(entry(id));
      shelf.shelve();
    }
    // Batches of 512: two were shelved, the rest waits for the next batch.
    expect(zip.entries.length).toBe(1500 - 1024);
    zip.entries.push(entry(1500, 2)); // being written
    shelf.restore();
    expect(zip.entries.map((e) => e.id)).toEqual(Array.from({ length: 1501 }, (_, id) => id));
  });

  it('never shelves past an entry that is not written yet', () => {
    const zip = fakeZip([entry(0), entry(1, 1), ...Array.from({ length: 600 }, (_, i) => entry(i + 2))]);
    const shelf = new WrittenEntryShelf(zip as unknown as yazl.ZipFile);
    shelf.shelve();
    expect(zip.entries.length).toBe(602);
    shelf.restore();
    expect(zip.entries.map((e) => e.id)).toEqual(Array.from({ length: 602 }, (_, id) => id));
  });

  it('does nothing when yazl does not look as expected', () => {
    const zip = fakeZip(undefined);
    const shelf = new WrittenEntryShelf(zip as unknown as yazl.ZipFile);
    shelf.shelve();
    shelf.restore();
    expect(zip.entries).toBeUndefined();
    const odd = fakeZip(Array.from({ length: 600 }, (_, id) => ({ id, state: 'done' })));
    new WrittenEntryShelf(odd as unknown as yazl.ZipFile).shelve();
    expect(odd.entries.length).toBe(600);
  });
});
