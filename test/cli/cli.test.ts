import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { renderProgressLine } from '../../src/cli/progress-bar.js';
import { readZip } from '../zip/read-zip.js';

const run = promisify(execFile);
let work: string;
let archive: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ssa-cli-'));
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'model'), { recursive: true });
  writeFileSync(join(tree, 'model/weights.bin'), randomBytes(200_000));
  writeFileSync(join(tree, 'model/labels.txt'), 'person\ncar\n'.repeat(1000));
  archive = join(work, 'model.tar.gz');
  await run('tar', ['-czf', archive, '-C', tree, 'model']);
  writeFileSync(join(work, 'manifest.json'), '{"stage":"gpu"}');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI in-process and captures what it prints. */
async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t), isTTY: false } });
  return { code, stdout, stderr };
}

describe('storage-safe-archive CLI', () => {
  it('inspect prints format, entries and the space estimate, or JSON', async () => {
    const text = await cli('inspect', archive);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/tar\.gz, 3 entries \(2 files, 1 folders, 0 links\)/);
    expect(text.stdout).toContain('0 bytes of scratch disk');
    const json = await cli('inspect', archive, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, format: 'tar.gz', entries: 3, files: 2, uncompressedBytes: 200_000 + 11_000 });
  });

  it('repackage puts entries under --prefix, adds --add files and reports in JSON', async () => {
    const out = join(work, 'component.zip');
    const result = await cli('repackage', archive, out, '--prefix', 'gpu', '--add', `manifest.json=${join(work, 'manifest.json')}`, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, entries: 4, bytesOut: readFileSync(out).length });
    const names = (await readZip(out)).entries.map((e) => e.name).sort();
    expect(names).toEqual(['gpu/model/', 'gpu/model/labels.txt', 'gpu/model/weights.bin', 'manifest.json']);
  });

  it('zip and extract --only work end to end', async () => {
    const out = join(work, 'tree.zip');
    expect((await cli('zip', join(work, 'tree'), out, '--compression', 'store')).code).toBe(0);
    expect((await readZip(out)).entries.every((e) => e.compressionMethod === 0)).toBe(true);
    const dest = join(work, 'only');
    const extracted = await cli('extract', out, dest, '--only', '**/*.txt');
    expect(extracted.code).toBe(0);
    expect(existsSync(join(dest, 'model/labels.txt'))).toBe(true);
    expect(existsSync(join(dest, 'model/weights.bin'))).toBe(false);
  });

  it('extract --only names the hard links it could not make because their target was not selected', async () => {
    const tree = join(work, 'linked');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'libdlr.so'), 'elf');
    await run('ln', [join(tree, 'libdlr.so'), join(tree, 'libdlr.so.1')]);
    const linked = join(work, 'linked.tar');
    // GNU tar stores the second name as a hard link to the first (sorted, so libdlr.so comes first).
    await run('tar', ['--sort=name', '-cf', linked, '-C', tree, 'libdlr.so', 'libdlr.so.1']);
    const result = await cli('extract', linked, join(work, 'linked-out'), '--only', '*.1');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 hard link(s) not made, their target not selected: "libdlr.so.1"');
  });

  it('fails with one line, a suggestion and exit code 1 on a corrupt archive', async () => {
    const broken = join(work, 'broken.tar.gz');
    const bytes = readFileSync(archive);
    writeFileSync(broken, bytes.subarray(0, bytes.length >> 1));
    const out = join(work, 'broken.zip');
    const result = await cli('repackage', broken, out);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[1]).toMatch(/^try: /);
    expect(existsSync(out)).toBe(false);
    const json = await cli('repackage', broken, out, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'EXTRACTION_FAILED' } });
  });

  it('exits 2 with the usage on a bad option or value', async () => {
    for (const argv of [['repackage', archive, 'x.zip', '--bogus'], ['zip', 'a', 'b', '--compression', 'lzma'], ['nope'], ['repackage', archive]]) {
      const result = await cli(...argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Usage: storage-safe-archive');
    }
  });

  it('draws bytes, rate and time left in the progress line', () => {
    const line = renderProgressLine(
      { currentPhase: 'repackaging', filesProcessed: 3, totalFiles: undefined, bytesProcessed: 512 * 1024 * 1024, totalBytes: 1024 * 1024 * 1024, diskUsage: 0, cleanupPerformed: false, estimatedRemaining: 4000 },
      4000,
      100,
    );
    expect(line).toContain(' 50%');
    expect(line).toContain('512.0 MiB / 1.0 GiB at 128.0 MiB/s, 4s left');
  });

  it('runs as a real process through main.ts', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], { cwd: join(__dirname, '../..') });
    expect(stdout).toContain('repackage <in> <out.zip>');
    const failed = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'inspect', join(work, 'missing.tar.gz')], { cwd: join(__dirname, '../..') }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/^error: /);
  });
});
