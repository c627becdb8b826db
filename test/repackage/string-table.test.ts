// The compact tables repackage keeps its names in: against a Map as the model, over random
// strings (unicode, empty, long, near-duplicates), and through ZipNames' rules for duplicate
// names and hard links to renamed, left-out and repeated files.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExtractionError } from '../../src/errors/index.js';
import type { IteratedEntry } from '../../src/extract/entry-stream.js';
import { StringTable } from '../../src/compact/string-table.js';
import { ZipNames } from '../../src/repackage/zip-names.js';

const linkTo = (target: string) => ({ path: 'link', checked: { resolvedTarget: target } }) as unknown as IteratedEntry;

describe('StringTable', () => {
  it('behaves as a Map of first-added strings to values, whatever the strings', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('', 'a', 'a/', 'é', 'e\u0301', '\u{1F600}'), fc.string({ minLength: 200, maxLength: 3000 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(text, fc.integer({ min: -5, max: 1_000_000 })), { maxLength: 3000 }), (ops) => {
        const table = new StringTable();
        const model = new Map<string, { index: number; value: number }>();
        for (const [s, value] of ops) {
          const index = table.add(s, value);
          if (model.has(s)) expect(index).toBe(-1);
          else {
            expect(index).toBe(model.size);
            model.set(s, { index, value });
          }
        }
        expect(table.size).toBe(model.size);
        for (const [s, { index, value }] of model) {
          expect(table.indexOf(s)).toBe(index);
          expect(table.at(index)).toBe(s);
          expect(table.valueAt(index)).toBe(value);
        }
        expect(table.indexOf('\u0000never added\u0000')).toBe(-1);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps 200,000 members across slabs and rehashes, each found again', () => {
    const table = new StringTable();
    for (let i = 0; i < 200_000; i++) expect(table.add(`models/part-${i}/weights.bin`, i)).toBe(i);
    for (let i = 0; i < 200_000; i += 997) {
      expect(table.indexOf(`models/part-${i}/weights.bin`)).toBe(i);
      expect(table.valueAt(i)).toBe(i);
    }
    expect(table.add('models/part-5/weights.bin')).toBe(-1);
    expect(table.indexOf('models/part-200000/weights.bin')).toBe(-1);
  });
});

describe('ZipNames', () => {
  it('refuses a name twice, and a folder only once', () => {
    const names = new ZipNames();
    names.claim('a/b.txt');
    expect(() => names.claim('a/b.txt')).toThrow(ExtractionError);
    expect(names.claimFolder('a')).toBe(true);
    expect(names.claimFolder('a')).toBe(false);
    names.claim('a'); // a file may share a folder's name without its slash, as in the zip
  });

  it('resolves a hard link to its file under its own path, a renamed one, or none when left out', () => {
    const names = new ZipNames();
    names.wrote('same.bin', names.claim('same.bin'));
    names.wrote('orig.bin', names.claim('stage/orig.bin'));
    names.leftOut('skipped.bin');
    expect(names.fileFor(linkTo('same.bin'))).toBe('same.bin');
    expect(names.fileFor(linkTo('orig.bin'))).toBe('stage/orig.bin');
    expect(names.fileFor(linkTo('skipped.bin'))).toBeNull();
    // A name in the zip that is not a file of the archive under that path is no link target.
    names.claim('stage/x.bin');
    expect(() => names.fileFor(linkTo('stage/x.bin'))).toThrow(ExtractionError);
    expect(() => names.fileFor(linkTo('stage/orig.bin'))).toThrow(ExtractionError);
    expect(() => names.fileFor(linkTo('missing.bin'))).toThrow(ExtractionError);
  });

  it('a path the archive holds twice refers to its last copy', () => {
    const names = new ZipNames();
    names.leftOut('dup.bin');
    names.wrote('dup.bin', names.claim('dup.bin'));
    expect(names.fileFor(linkTo('dup.bin'))).toBe('dup.bin');
    names.wrote('twice.bin', names.claim('first/twice.bin'));
    names.leftOut('twice.bin');
    expect(names.fileFor(linkTo('twice.bin'))).toBeNull();
    names.wrote('twice.bin', names.claim('second/twice.bin'));
    expect(names.fileFor(linkTo('twice.bin'))).toBe('second/twice.bin');
  });
});
