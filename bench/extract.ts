// Extraction benchmark: our StreamingExtractor against node-tar, GNU tar and unzip on the same
// generated model, in the same run. Each case runs in its own child process so wall time and
// peak RSS are its own; medians of --runs runs. Writes a markdown table.
//
//   node --import tsx bench/extract.ts --size 1GiB --runs 3 --out bench/results/extract.md
//
// Options: --size (default 1GiB), --runs (3), --small-files (2000), --work (a scratch folder
// under os.tmpdir()), --out (bench/results/extract.md), --keep (keep the generated archives),
// --only (comma-separated substrings of tool labels, e.g. "storage-safe,GNU").
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateModel } from './lib/generate-model.js';
import { option, parseSize } from './lib/args.js';
import { measure, type Measured } from './lib/measure.js';
import { markdownTable, median } from './lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);

/** Child mode: extract with one Node implementation and print the in-process time. */
async function child(kind: string, archive: string, dest: string): Promise<void> {
  const started = process.hrtime.bigint();
  if (kind === 'ours') {
    const { StreamingExtractor } = await import('../src/extract/index.js');
    await new StreamingExtractor().extractStreaming(archive, dest);
  } else if (kind === 'node-tar') {
    const tar = await import('tar');
    await mkdir(dest, { recursive: true });
    await tar.x({ file: archive, cwd: dest });
  } else throw new Error(`unknown child ${kind}`);
  const extractMs = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ extractMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

interface Case {
  label: string;
  format: 'tar.gz' | 'zip';
  run(archive: string, dest: string): Promise<Measured>;
}

const node = (kind: string) => (archive: string, dest: string) =>
  measure(process.execPath, ['--import', 'tsx', join(here, 'extract.ts'), '--child', kind, archive, dest], { cwd: join(here, '..') });

const CASES: Case[] = [
  { label: 'storage-safe-archive', format: 'tar.gz', run: node('ours') },
  { label: 'node-tar (tar.x)', format: 'tar.gz', run: node('node-tar') },
  { label: 'GNU tar -xzf', format: 'tar.gz', run: (a, d) => mkdir(d, { recursive: true }).then(() => measure('tar', ['-xzf', a, '-C', d])) },
  { label: 'storage-safe-archive', format: 'zip', run: node('ours') },
  { label: 'unzip -q', format: 'zip', run: (a, d) => measure('unzip', ['-q', a, '-d', d]) },
];

function available(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return command === 'unzip' && existsSync('/usr/bin/unzip');
  }
}

async function main(): Promise<void> {
  const at = argv.indexOf('--child');
  if (at >= 0) return child(argv[at + 1] as string, argv[at + 2] as string, argv[at + 3] as string);

  const size = parseSize(option(argv, 'size', '1GiB'));
  const runs = Number(option(argv, 'runs', '3'));
  const smallFiles = Number(option(argv, 'small-files', '2000'));
  const out = option(argv, 'out', join(here, 'results', 'extract.md'));
  const work = await mkdtemp(join(option(argv, 'work', tmpdir()), 'ssa-bench-extract-'));
  try {
    const models = {
      'tar.gz': await generateModel({ outPath: join(work, 'model.tar.gz'), format: 'tar.gz', totalBytes: size, smallFiles, seed: 1 }),
      zip: await generateModel({ outPath: join(work, 'model.zip'), format: 'zip', totalBytes: size, smallFiles, seed: 1 }),
    };
    const rows: string[][] = [];
    const only = option(argv, 'only', '').split(',').filter(Boolean);
    for (const c of CASES) {
      if (only.length > 0 && !only.some((o) => c.label.includes(o))) continue;
      const tool = c.label.split(' ')[0] as string;
      if ((tool === 'tar' || tool === 'unzip' || tool === 'GNU') && !available(tool === 'GNU' ? 'tar' : tool)) continue;
      const walls: number[] = [];
      const inProcess: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < runs; i++) {
        const dest = join(work, 'out');
        const m = await c.run(models[c.format].path, dest);
        walls.push(m.ms);
        if (m.report?.extractMs !== undefined) inProcess.push(m.report.extractMs);
        if (m.peakRssBytes !== undefined) rss.push(m.peakRssBytes);
        await rm(dest, { recursive: true, force: true });
        process.stderr.write(`${c.format} ${c.label} run ${i + 1}: ${m.ms.toFixed(0)} ms\n`);
      }
      const model = models[c.format];
      rows.push([
        c.format,
        c.label,
        `${(median(walls) / 1000).toFixed(2)} s`,
        inProcess.length ? `${(median(inProcess) / 1000).toFixed(2)} s` : 'n/a',
        rss.length ? `${(median(rss) / 2 ** 20).toFixed(0)} MiB` : 'n/a',
        `${((model.uncompressedBytes / 2 ** 20) / (median(walls) / 1000)).toFixed(0)} MiB/s`,
      ]);
    }
    const m = models['tar.gz'];
    const report = [
      '# Extraction benchmark',
      '',
      `Model: ${(m.uncompressedBytes / 2 ** 30).toFixed(2)} GiB uncompressed, ${m.entries} entries (${smallFiles} small files); ` +
        `tar.gz ${(m.compressedBytes / 2 ** 20).toFixed(0)} MiB, zip ${(models.zip.compressedBytes / 2 ** 20).toFixed(0)} MiB.`,
      `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. Medians of ${runs} runs, each in its own process ` +
        '(wall time includes process start; Node cases also report the in-process time). Peak RSS from GNU time.',
      '',
      markdownTable(['format', 'tool', 'wall (median)', 'in-process', 'peak RSS', 'throughput'], rows),
      '',
      `Reproduce: \`node --import tsx bench/extract.ts --size ${option(argv, 'size', '1GiB')} --runs ${runs}\``,
      '',
    ].join('\n');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, report);
    process.stdout.write(report);
  } finally {
    if (!argv.includes('--keep')) await rm(work, { recursive: true, force: true });
  }
}

await main();
