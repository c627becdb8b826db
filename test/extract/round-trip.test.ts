// Random trees through tar, tar.gz and zip: what comes out equals what went in, byte for byte,
// with sane modes (setuid and group/other write cleared).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamingExtractor, sanitizeMode } from '../../src/extract/index.js';
import { MiB } from '../../src/units.js';
import { buildTar, buildTarGz, buildZip, chunked, type TestEntry } from './support/build-archives.js';
import { sha256, snapshotTree, type Snapshot } from './support/tree.js';

const SEGMENTS = ['a', 'models', 'données', '日本語', 'émoji-😀', 'Ω', 'x y', 'weights.bin', 'ñ', 'z-long-' + 'q'.repeat(120)];
const MODES = [0o644, 0o755, 0o600, 0o4755, 0o2775, 0o666, 0o1777];

interface TreeSpec {
  files: Array<{ segments: string[]; body: Uint8Array; mode: number }>;
  emptyDirs: string[][];
  links: number[];
}

const treeArbitrary: fc.Arbitrary<TreeSpec> = fc.record({
  files: fc.array(
    fc.record({
      segments: fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 4 }),
      body: fc.uint8Array({ maxLength: 3000 }),
      mode: fc.constantFrom(...MODES),
    }),
    { maxLength: 12 },
  ),
  emptyDirs: fc.array(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
  links: fc.array(fc.nat(), { maxLength: 3 }),
});

/** Turns a spec into archive entries and the snapshot we expect on disk. */
function materialize(spec: TreeSpec): { entries: TestEntry[]; expected: Snapshot } {
  const files = new Map<string, { body: Buffer; mode: number }>();
  const dirs = new Set<string>();
  const taken = (path: string) => files.has(path) || dirs.has(path);
  for (const file of spec.files) {
    const path = file.segments.join('/');
    const parents = file.segments.slice(0, -1).map((_, i) => file.segments.slice(0, i + 1).join('/'));
    if (taken(path) || parents.some((p) => files.has(p))) continue;
    parents.forEach((p) => dirs.add(p));
    files.set(path, { body: Buffer.from(file.body), mode: file.mode });
  }
  for (const segments of spec.emptyDirs) {
    const parents = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    if (parents.some((p) => files.has(p))) continue;
    parents.forEach((p) => dirs.add(p));
  }
  const entries: TestEntry[] = [];
  const expected: Snapshot = {};
  for (const dir of [...dirs].sort()) {
    entries.push({ name: `${dir}/`, type: 'directory', mode: 0o755 });
    expected[dir] = { kind: 'directory', mode: 0o755 };
  }
  const filePaths = [...files.keys()].sort();
  for (const path of filePaths) {
    const { body, mode } = files.get(path) as { body: Buffer; mode: number };
    entries.push({ name: path, body, mode });
    expected[path] = { kind: 'file', mode: sanitizeMode(mode, 'file'), content: sha256(body) };
  }
  spec.links.forEach((pick, i) => {
    if (filePaths.length === 0) return;
    const target = filePaths[pick % filePaths.length] as string;
    const name = `link-${i}`;
    // A top-level link to a file in the tree: always inside.
    entries.push({ name, type: 'symlink', linkname: target });
    expected[name] = { kind: 'symlink', content: target };
  });
  return { entries, expected };
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssa-roundtrip-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const builders = { tar: buildTar, 'tar.gz': buildTarGz, zip: buildZip } as const;
let counter = 0;

describe.each(Object.keys(builders) as Array<keyof typeof builders>)('round trip through %s', (format) => {
  it('extracts random trees byte for byte with sane modes', async () => {
    const extractor = new StreamingExtractor();
    await fc.assert(
      fc.asyncProperty(treeArbitrary, async (spec) => {
        const { entries, expected } = materialize(spec);
        const archive = await builders[format](entries);
        const dir = join(root, `case-${counter++}`);
        // zip needs random access: a file; tar and tar.gz go through a chunked stream.
        let source: string | ReturnType<typeof chunked> = chunked(archive, 1000);
        if (format === 'zip') {
          source = `${dir}.zip`;
          await writeFile(source, archive);
        }
        const out = join(dir, 'out');
        await extractor.extractStreaming(source, out);
        expect(await snapshotTree(out)).toEqual(expected);
        await rm(dir, { recursive: true, force: true });
        if (format === 'zip') await rm(`${dir}.zip`, { force: true });
      }),
      { numRuns: 100 },
    );
  });

  it('extracts multi-MiB files exactly', async () => {
    const big = randomBytes(3 * MiB + 17);
    const zeros = Buffer.alloc(1 * MiB);
    const archive = await builders[format]([
      { name: 'weights/big.bin', body: big },
      { name: 'weights/zeros.bin', body: zeros },
      { name: 'empty.txt', body: '' },
    ]);
    const file = join(root, `big-${format}`);
    await writeFile(file, archive);
    const out = join(root, `big-${format}-out`);
    const result = await new StreamingExtractor().extractStreaming(file, out);
    expect(result).toMatchObject({ files: 3, bytesWritten: big.length + zeros.length });
    const snapshot = await snapshotTree(out, false);
    expect(snapshot['weights/big.bin']?.content).toBe(sha256(big));
    expect(snapshot['weights/zeros.bin']?.content).toBe(sha256(zeros));
    expect(snapshot['empty.txt']?.content).toBe(sha256(''));
  });
});
