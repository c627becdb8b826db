// The harness's own tests: the layouts read what the honest writers wrote, every mutator is
// total (never throws, never mutates its input, is deterministic) on every seed, and the
// structure-aware ones really change the field they aim at.
import fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FUZZ_FORMATS, fuzzCaseArbitrary, isPristine, materialize } from './lib/fuzz-case.js';
import { gzipMembersOf } from './lib/layout/gzip-layout.js';
import { readTarNumber, tarRecords } from './lib/layout/tar-layout.js';
import { zipLayout } from './lib/layout/zip-layout.js';
import { BLIND_MUTATORS } from './lib/mutators/blind.js';
import { GZIP_MUTATORS } from './lib/mutators/gzip.js';
import { applyMutations, type MutatorTable } from './lib/mutators/mutation.js';
import { TAR_MUTATORS } from './lib/mutators/tar.js';
import { ZIP_MUTATORS } from './lib/mutators/zip.js';
import { treeArbitrary } from './lib/tree.js';
import { gzipMembers, writeTar, writeZip } from './lib/write-archives.js';

const mutation = (table: MutatorTable) => fc.record({ op: fc.constantFrom(...Object.keys(table)), a: fc.nat(), b: fc.nat(), c: fc.nat() });

describe('layouts read honest archives', () => {
  it('tar: one record per node, sizes as written', async () => {
    await fc.assert(
      fc.asyncProperty(treeArbitrary(6), fc.boolean(), async (tree, paxEverywhere) => {
        const tar = await writeTar(tree, { paxEverywhere });
        const entries = tarRecords(tar).filter((r) => r.typeflag !== 'x');
        expect(entries).toHaveLength(tree.nodes.length);
        expect(entries.every((r) => readTarNumber(tar.subarray(r.offset, r.offset + 512), 124, 12) === r.size)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('gzip: members found, inflating to the tar', async () => {
    await fc.assert(
      fc.asyncProperty(treeArbitrary(4), fc.integer({ min: 1, max: 4 }), async (tree, members) => {
        const tar = await writeTar(tree);
        const gz = gzipMembers(tar, members);
        const found = gzipMembersOf(gz);
        expect(found.length).toBe(Math.min(members, Math.max(1, tar.length)) > 1 ? Math.ceil(tar.length / Math.ceil(tar.length / members)) : 1);
        expect(found[found.length - 1]?.end).toBe(gz.length);
        expect(gunzipSync(gz).equals(tar)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('zip: one central record per node, each pointing at a local header', async () => {
    await fc.assert(
      fc.asyncProperty(treeArbitrary(6), fc.boolean(), fc.boolean(), async (tree, deflate, zip64) => {
        const zip = await writeZip(tree, { deflate, zip64 });
        const layout = zipLayout(zip);
        expect(layout.entries).toHaveLength(tree.nodes.length);
        expect(layout.zip64Eocd !== undefined).toBe(zip64);
        for (const entry of layout.entries) expect(zip.readUInt32LE(entry.local)).toBe(0x04034b50);
      }),
      { numRuns: 100 },
    );
  });
});

describe('mutators are total and deterministic', () => {
  const tables: Array<[string, MutatorTable, (tree: Parameters<typeof writeTar>[0]) => Promise<Buffer>]> = [
    ['blind', BLIND_MUTATORS, (t) => writeTar(t)],
    ['tar', TAR_MUTATORS, (t) => writeTar(t, { paxEverywhere: true })],
    ['gzip', GZIP_MUTATORS, async (t) => gzipMembers(await writeTar(t), 2)],
    ['zip', ZIP_MUTATORS, (t) => writeZip(t, { zip64: true })],
  ];
  for (const [name, table, write] of tables) {
    it(`${name}: never throws, never edits its input, same output for the same mutation`, async () => {
      await fc.assert(
        fc.asyncProperty(treeArbitrary(5), fc.array(mutation(table), { minLength: 1, maxLength: 4 }), async (tree, mutations) => {
          const seed = await write(tree);
          const copy = Buffer.from(seed);
          const once = applyMutations(seed, mutations, table);
          expect(seed.equals(copy)).toBe(true);
          expect(applyMutations(seed, mutations, table).equals(once)).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('structure-aware mutators stay total on already-mutated bytes (blind edits first)', async () => {
    const mixed = (structural: MutatorTable) => ({ ...BLIND_MUTATORS, ...structural });
    for (const [table, write] of [
      [mixed(ZIP_MUTATORS), (t: Parameters<typeof writeZip>[0]) => writeZip(t, { zip64: true })],
      [mixed(TAR_MUTATORS), (t: Parameters<typeof writeTar>[0]) => writeTar(t)],
      [mixed(GZIP_MUTATORS), async (t: Parameters<typeof writeTar>[0]) => gzipMembers(await writeTar(t), 2)],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(treeArbitrary(4), fc.array(mutation(table), { minLength: 2, maxLength: 8 }), async (tree, mutations) => {
          expect(Buffer.isBuffer(applyMutations(await write(tree), mutations, table))).toBe(true);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('a gzip header cut inside its 10 fixed bytes is not read past the end (shrunk counterexample)', async () => {
    const table = { ...BLIND_MUTATORS, ...GZIP_MUTATORS };
    const input = gzipMembers(await writeTar({ nodes: [] }), 2);
    const mutations = [
      { op: 'cutMember', a: 0, b: 314438126, c: 0 },
      { op: 'overwriteBytes', a: 303576176, b: 100409, c: 0 },
      { op: 'flipBit', a: 583530, b: 0, c: 0 },
      { op: 'cutMember', a: 0, b: 0, c: 0 },
    ];
    expect(Buffer.isBuffer(applyMutations(input, mutations, table))).toBe(true);
  });

  it('every mutator runs on an empty input too', () => {
    for (const table of [BLIND_MUTATORS, TAR_MUTATORS, GZIP_MUTATORS, ZIP_MUTATORS]) {
      for (const op of Object.keys(table)) expect(Buffer.isBuffer(applyMutations(Buffer.alloc(0), [{ op, a: 3, b: 5, c: 7 }], table))).toBe(true);
    }
  });
});

describe('structure-aware mutators hit their field', () => {
  it('tar size edits the size field and keeps the checksum valid', async () => {
    const tar = await writeTar({ nodes: [{ type: 'file', path: 'a.txt', mode: 0o644, content: { kind: 'text', length: 100, seed: 1 } }] });
    const out = applyMutations(tar, [{ op: 'size', a: 0, b: 1, c: 0 }], TAR_MUTATORS);
    expect(readTarNumber(out, 124, 12)).toBe(101);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (out[i] as number);
    expect(readTarNumber(out, 148, 8)).toBe(sum);
  });

  it('zip overlap points one central record at another entry\'s local header', async () => {
    const tree = { nodes: [0, 1].map((i) => ({ type: 'file' as const, path: `f${i}`, mode: 0o644, content: { kind: 'random' as const, length: 50, seed: i } })) };
    const zip = await writeZip(tree);
    const out = applyMutations(zip, [{ op: 'overlap', a: 1, b: 0, c: 0 }], ZIP_MUTATORS);
    const layout = zipLayout(out);
    expect(layout.entries[1]?.local).toBe(layout.entries[0]?.local);
  });

  it('zip duplicateCentral keeps the end record consistent', async () => {
    const tree = { nodes: [{ type: 'file' as const, path: 'f', mode: 0o644, content: { kind: 'text' as const, length: 10, seed: 1 } }] };
    for (const zip64 of [false, true]) {
      const out = applyMutations(await writeZip(tree, { zip64 }), [{ op: 'duplicateCentral', a: 0, b: 0, c: 1 }], ZIP_MUTATORS);
      expect(zipLayout(out).entries).toHaveLength(3);
    }
  });
});

describe('cases', () => {
  for (const format of FUZZ_FORMATS) {
    it(`${format}: materialize is deterministic`, async () => {
      await fc.assert(
        fc.asyncProperty(fuzzCaseArbitrary(format), async (fuzzCase) => {
          expect((await materialize(fuzzCase)).equals(await materialize(fuzzCase))).toBe(true);
          if (isPristine(fuzzCase)) expect(fuzzCase.seed.kind).toBe('tree');
        }),
        { numRuns: 100 },
      );
    });
  }
});
