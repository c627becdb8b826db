// The compact collections the extractor keeps its paths in: PathSet against a Set as the model,
// and CreatedPaths' rollback on a real folder (forgotten, replaced and re-created paths).
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { PathSet } from '../../src/compact/path-set.js';
import { CreatedPaths } from '../../src/extract/write/created-paths.js';

describe('PathSet', () => {
  it('behaves as a Set of strings under any sequence of add, delete and has', () => {
    const text = fc.oneof(fc.constantFrom('', 'a', 'a/', '/dest/a.txt', 'é', 'e\u0301'), fc.string({ unit: 'grapheme', maxLength: 30 }));
    const op = fc.tuple(fc.constantFrom('add', 'delete', 'has'), text);
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const set = new PathSet();
        const model = new Set<string>();
        for (const [kind, s] of ops) {
          if (kind === 'add') (set.add(s), model.add(s));
          else if (kind === 'delete') (set.delete(s), model.delete(s));
          expect(set.has(s)).toBe(model.has(s));
        }
        for (const [, s] of ops) expect(set.has(s)).toBe(model.has(s));
      }),
      { numRuns: 200 },
    );
  });
});

describe('CreatedPaths', () => {
  let work: string;
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('rolls back exactly what it recorded, newest first, skipping what was forgotten', async () => {
    work = await mkdtemp(join(tmpdir(), 'ssa-created-'));
    const before = join(work, 'was-here.txt');
    await writeFile(before, 'not ours');
    const created = new CreatedPaths();
    const folder = join(work, 'a');
    await mkdir(folder);
    created.add(folder, 'directory');
    const file = join(folder, 'f.txt');
    await writeFile(file, '1');
    created.add(file, 'file');
    // Replaced by us: forgotten, then created again (as a link this time).
    created.forget(file);
    await rm(file);
    await symlink('elsewhere', file);
    created.add(file, 'symlink');
    const kept = join(work, 'kept.txt');
    await writeFile(kept, 'handed over');
    created.add(kept, 'file');
    created.forget(kept);
    expect(created.kindOf(file)).toBe('symlink');
    expect(created.kindOf(kept)).toBeUndefined();
    expect(created.kindOf(before)).toBeUndefined();

    await created.rollback();
    expect((await readdir(work)).sort()).toEqual(['kept.txt', 'was-here.txt']);
    // Nothing is left recorded: a second rollback removes nothing.
    await writeFile(join(work, 'later.txt'), 'x');
    await created.rollback();
    expect((await readdir(work)).sort()).toEqual(['kept.txt', 'later.txt', 'was-here.txt']);
  });

  it('keeps thousands of paths and removes all of them', async () => {
    work = await mkdtemp(join(tmpdir(), 'ssa-created-'));
    const created = new CreatedPaths();
    for (let i = 0; i < 3000; i++) {
      const path = join(work, `file-${i}-${'é'.repeat(i % 7)}.bin`);
      await writeFile(path, '');
      created.add(path, 'file');
    }
    await created.rollback();
    expect(await readdir(work)).toEqual([]);
  });
});
