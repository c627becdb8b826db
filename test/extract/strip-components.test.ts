// stripComponents, as `tar --strip-components`: leading folders go, names with nothing left are
// dropped, hard link targets are stripped too, and the stripped names still pass the policy.
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ExtractionError } from '../../src/errors/index.js';
import { StreamingExtractor, stripComponents } from '../../src/extract/index.js';
import { repackage } from '../../src/repackage/index.js';
import { readZip } from '../zip/read-zip.js';
import { buildTarGz, type TestEntry } from './support/build-archives.js';

const TREE: TestEntry[] = [
  { name: 'model-1.0/', type: 'directory' },
  { name: 'model-1.0/weights.bin', body: 'w' },
  { name: 'model-1.0/config/params.json', body: '{"a":1}' },
  { name: 'model-1.0/current', type: 'symlink', linkname: 'weights.bin' },
  { name: 'model-1.0/same-weights', type: 'link', linkname: 'model-1.0/weights.bin' },
  { name: 'TOP-LEVEL-README', body: 'dropped' },
];

let root: string;
let archive: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssa-strip-'));
  archive = join(root, 'model.tar.gz');
  await writeFile(archive, await buildTarGz(TREE));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('stripComponents()', () => {
  it('drops exactly the first n segments, or the whole name (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9.]{1,6}$/), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 7 }), (segments, n) => {
        const stripped = stripComponents(segments.join('/'), n);
        if (n >= segments.length && n > 0) expect(stripped).toBeUndefined();
        else expect(stripped).toBe(segments.slice(n).join('/'));
      }),
      { numRuns: 100 },
    );
  });
});

describe('extraction with stripComponents', () => {
  it('extracts under the stripped names, links included, and drops what has no name left', async () => {
    const dest = join(root, 'out');
    const result = await new StreamingExtractor({ stripComponents: 1 }).extractStreaming(archive, dest);
    expect(await readFile(join(dest, 'weights.bin'), 'utf8')).toBe('w');
    expect(await readFile(join(dest, 'config/params.json'), 'utf8')).toBe('{"a":1}');
    expect(await readlink(join(dest, 'current'))).toBe('weights.bin');
    expect((await stat(join(dest, 'same-weights'))).ino).toBe((await stat(join(dest, 'weights.bin'))).ino);
    await expect(stat(join(dest, 'TOP-LEVEL-README'))).rejects.toThrow();
    expect(result.files).toBe(2);
  });

  it('refuses a symlink that the strip moves out of the destination', async () => {
    const hostile = join(root, 'escape.tar.gz');
    await writeFile(hostile, await buildTarGz([{ name: 'a/b/up', type: 'symlink', linkname: '../x' }]));
    // a/b/up -> ../x resolves to a/x; stripped to b/up -> ../x it would resolve to x, still inside;
    // stripped twice, up -> ../x leaves the destination.
    await new StreamingExtractor({ stripComponents: 1 }).extractStreaming(hostile, join(root, 'once'));
    const error = await new StreamingExtractor({ stripComponents: 2 }).extractStreaming(hostile, join(root, 'twice')).catch((e: unknown) => e);
    expect((error as ExtractionError).reason).toBe('LINK_ESCAPE');
  });

  it('refuses a negative or fractional count with a ConfigurationError', () => {
    expect(() => new StreamingExtractor({ stripComponents: -1 })).toThrow(ConfigurationError);
    expect(() => new StreamingExtractor({ stripComponents: 1.5 })).toThrow(ConfigurationError);
  });
});

describe('repackage with stripComponents', () => {
  it('renames after stripping, and a stripped hard link still finds its file', async () => {
    const out = join(root, 'stripped.zip');
    await repackage({ source: archive, output: out, stripComponents: 1, rename: (path) => `jetson/${path}` });
    const entries = new Map((await readZip(out)).entries.map((e) => [e.name, e]));
    expect([...entries.keys()].filter((n) => !n.endsWith('/')).sort()).toEqual(['jetson/config/params.json', 'jetson/current', 'jetson/same-weights', 'jetson/weights.bin']);
    expect(entries.get('jetson/same-weights')!.data.toString()).toBe('weights.bin');
  });
});
