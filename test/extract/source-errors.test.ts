// Mistakes in what the caller points at get their own reasons: a missing archive path, a folder
// given as an archive, and a second extraction into a folder that already holds the files.
// Each names the path, says what to try, and leaves nothing behind.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractionError } from '../../src/errors/index.js';
import { StreamingExtractor, estimateArchiveSpace, fileRandomAccessSource, getArchiveInfo } from '../../src/extract/index.js';
import { repackage } from '../../src/repackage/index.js';
import { buildTarGz } from './support/build-archives.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssa-source-errors-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const OPERATIONS: [string, (archive: string, out: string) => Promise<unknown>][] = [
  ['extractStreaming', (archive, out) => new StreamingExtractor().extractStreaming(archive, out)],
  ['entries', async (archive) => {
    for await (const entry of new StreamingExtractor().entries(archive)) void entry;
  }],
  ['getArchiveInfo', (archive) => getArchiveInfo(archive)],
  ['estimateArchiveSpace', (archive) => estimateArchiveSpace(archive)],
  ['repackage', (archive, out) => repackage({ source: archive, output: join(out, 'component.zip') })],
  ['fileRandomAccessSource', (archive) => fileRandomAccessSource(archive)],
];

describe('a missing or wrong archive path', () => {
  it.each(OPERATIONS)('%s: a path that names nothing is SOURCE_NOT_FOUND with the path and a suggestion', async (_name, run) => {
    const archive = join(root, 'no-such-model.tar.gz');
    const out = join(root, `out-missing-${_name}`);
    const error = await run(archive, out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    const failure = error as ExtractionError;
    expect(failure.reason).toBe('SOURCE_NOT_FOUND');
    expect(failure.message).toContain(archive);
    expect(failure.message).toContain('does not exist');
    expect(failure.suggestion).toMatch(/check the archive path/);
    expect(await readdir(out).catch(() => 'absent')).toBe('absent');
  });

  it.each(OPERATIONS)('%s: a folder given as the archive is SOURCE_NOT_FOUND, saying it is a folder', async (_name, run) => {
    const folder = join(root, `a-folder-${_name}`);
    await mkdir(folder);
    const out = join(root, `out-folder-${_name}`);
    const error = await run(folder, out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason).toBe('SOURCE_NOT_FOUND');
    expect((error as ExtractionError).message).toContain('it is a folder');
  });

  it('a path through a file (a/file.tar.gz/x) is SOURCE_NOT_FOUND too', async () => {
    const file = join(root, 'plain-file');
    await writeFile(file, 'x');
    const error = await getArchiveInfo(join(file, 'model.tar.gz')).catch((e: unknown) => e);
    expect((error as ExtractionError).reason).toBe('SOURCE_NOT_FOUND');
  });
});

describe('extracting again into the same folder', () => {
  it('is DESTINATION_EXISTS naming the file already there, with a try that fits; the files there are untouched', async () => {
    const archive = join(root, 'twice.tar.gz');
    await writeFile(archive, await buildTarGz([{ name: 'model/weights.bin', body: 'new weights' }, { name: 'model/config.json', body: '{}' }]));
    const dest = join(root, 'twice');
    await new StreamingExtractor().extractStreaming(archive, dest);
    await writeFile(join(dest, 'model/weights.bin'), 'edited by the user');
    const error = await new StreamingExtractor().extractStreaming(archive, dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    const failure = error as ExtractionError;
    expect(failure.reason).toBe('DESTINATION_EXISTS');
    expect(failure.entryPath).toBe('model/weights.bin');
    expect(failure.message).toContain(join(dest, 'model/weights.bin'));
    expect(failure.suggestion).toMatch(/new or empty folder/);
    expect(failure.suggestion).not.toMatch(/duplicate/);
    expect(await readFile(join(dest, 'model/weights.bin'), 'utf8')).toBe('edited by the user');
    expect((await readdir(join(dest, 'model'))).sort()).toEqual(['config.json', 'weights.bin']);
  });
});
