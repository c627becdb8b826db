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

  it.each([
    ['inspect', '--list', 'extract <archive> <dir>'],
    ['extract', '--gunzip-worker', 'zip <dir> <out.zip>'],
    ['zip', '--delete-after-add', 'repackage <in> <out.zip>'],
    ['repackage', '--prefix DIR', 'inspect <archive>'],
  ])('%s --help prints that command\'s help (its options, not the other commands)', async (command, ownOption, otherCommand) => {
    for (const flag of ['--help', '-h']) {
      const result = await cli(command, flag);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: storage-safe-archive ${command} `);
      expect(result.stdout).toContain(ownOption);
      expect(result.stdout).not.toContain(otherCommand);
    }
    // A usage mistake in the command shows the same help.
    const wrong = await cli(command, '--bogus');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`Usage: storage-safe-archive ${command} `);
  });

  it('inspect --list prints one line per entry like tar -tv (mode, size, time, path), and the listing in JSON', async () => {
    for (const flag of ['--list', '-l', '-v']) {
      const result = await cli('inspect', archive, flag);
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines[0]).toMatch(/^drwx.{6} +0 \d{4}-\d\d-\d\d \d\d:\d\d model\/$/);
      expect(lines.find((line) => line.endsWith(' model/weights.bin'))).toMatch(/^-rw.{7} 200000 \d{4}-\d\d-\d\d \d\d:\d\d model\/weights\.bin$/);
      expect(lines.find((line) => line.endsWith(' model/labels.txt'))).toMatch(/^-rw.{7}  11000 /);
    }
    const json = JSON.parse((await cli('inspect', archive, '--list', '--json')).stdout) as { listing: { path: string; size: number; type: string }[] };
    expect(json.listing.map((entry) => [entry.path, entry.type, entry.size]).sort()).toEqual([
      ['model', 'directory', 0],
      ['model/labels.txt', 'file', 11000],
      ['model/weights.bin', 'file', 200000],
    ]);
    // Without --list the text stays a summary.
    expect((await cli('inspect', archive)).stdout).not.toContain('model/weights.bin');
  });

  it('extract --strip-components 1 drops the leading folder, as tar does; a bad count is a usage error', async () => {
    const dest = join(work, 'stripped');
    const result = await cli('extract', archive, dest, '--strip-components', '1');
    expect(result.code).toBe(0);
    expect(existsSync(join(dest, 'weights.bin'))).toBe(true);
    expect(existsSync(join(dest, 'labels.txt'))).toBe(true);
    expect(existsSync(join(dest, 'model'))).toBe(false);
    const bad = await cli('extract', archive, join(work, 'stripped-bad'), '--strip-components', 'two');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--strip-components takes a whole number');
  });

  it('--gunzip-worker gives the same zip and the same extracted files', async () => {
    const plain = join(work, 'plain.zip');
    const threaded = join(work, 'threaded.zip');
    expect((await cli('repackage', archive, plain, '--deterministic')).code).toBe(0);
    expect((await cli('repackage', archive, threaded, '--deterministic', '--gunzip-worker')).code).toBe(0);
    expect(readFileSync(threaded).equals(readFileSync(plain))).toBe(true);
    const dest = join(work, 'threaded-extract');
    expect((await cli('extract', archive, dest, '--gunzip-worker')).code).toBe(0);
    expect(readFileSync(join(dest, 'model', 'labels.txt')).length).toBe(11000);
    expect(readFileSync(join(dest, 'model', 'weights.bin')).length).toBe(200000);
  });

  it('repackage --strip-components 1 drops the leading folder inside the zip', async () => {
    const out = join(work, 'stripped.zip');
    expect((await cli('repackage', archive, out, '--strip-components', '1')).code).toBe(0);
    expect((await readZip(out)).entries.map((e) => e.name).sort()).toEqual(['labels.txt', 'weights.bin']);
  });

  it.each(['zip', 'repackage'])('%s refuses to replace an existing output (exit 1, OUTPUT_EXISTS, file untouched) unless --force', async (command) => {
    const out = join(work, `existing-${command}.zip`);
    writeFileSync(out, 'keep me');
    const input = command === 'zip' ? join(work, 'tree') : archive;
    const refused = await cli(command, input, out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*exists/);
    expect(refused.stderr).toMatch(/\ntry: .*--force|\ntry: .*overwrite/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const json = await cli(command, input, out, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { name: 'CompressionError', details: { reason: 'OUTPUT_EXISTS' } } });
    for (const flag of ['--force', '-f']) {
      const forced = await cli(command, input, out, flag);
      expect(forced.code).toBe(0);
      expect((await readZip(out)).entries.length).toBeGreaterThan(1);
    }
  });

  it('a missing input archive is one error line naming it and a try line (no raw ENOENT)', async () => {
    const missing = join(work, 'no-such.tar.gz');
    for (const argv of [['inspect', missing], ['extract', missing, join(work, 'never')], ['repackage', missing, join(work, 'never.zip')]]) {
      const result = await cli(...argv);
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe(`error: no archive at ${missing}: the file does not exist`);
      expect(lines[1]).toMatch(/^try: check the archive path/);
      expect(existsSync(join(work, 'never'))).toBe(false);
      expect(existsSync(join(work, 'never.zip'))).toBe(false);
    }
  });

  it('on a terminal the progress bar ends at 100% on its own line, and the summary starts on the next', async () => {
    let stderr = '';
    let stdout = '';
    const order: string[] = [];
    const io = {
      stdout: { write: (t: string) => { stdout += t; order.push('stdout'); } },
      stderr: { write: (t: string) => { stderr += t; order.push('stderr'); }, isTTY: true, columns: 100 },
    };
    const code = await runCli(['repackage', archive, join(work, 'progress.zip')], io);
    expect(code).toBe(0);
    const drawn = stderr.split('\r\x1b[2K').filter(Boolean);
    expect(drawn.length).toBeGreaterThan(0);
    const last = drawn.at(-1) as string;
    expect(last).toMatch(/\] 100% /);
    expect(last.endsWith('\n')).toBe(true);
    // Nothing is drawn after the summary, so it cannot be overwritten or share the bar's line.
    expect(order.at(-1)).toBe('stdout');
    expect(stdout).toMatch(/^wrote /);
  });

  it('runs as a real process through main.ts', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], { cwd: join(__dirname, '../..') });
    expect(stdout).toContain('repackage <in> <out.zip>');
    const failed = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'inspect', join(work, 'missing.tar.gz')], { cwd: join(__dirname, '../..') }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/^error: /);
  });
});
