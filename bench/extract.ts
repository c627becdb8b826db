// Extraction benchmark: our StreamingExtractor (zip entries one at a time and several at once)
// against the gunzip floor, node-tar, GNU tar, yauzl and unzip on the same generated model, in
// the same run. Each case runs in its own child process (plain Node on dist/ for the Node cases)
// so wall time and peak RSS are its own; medians of --runs runs. Writes a markdown table.
//
//   npm run build && npx tsx bench/extract.ts --size 1GiB --runs 3 --out bench/results/extract.md
//
// Options: --size (default 1GiB), --runs (3), --small-files (2000), --work (a scratch folder
// under os.tmpdir()), --out (bench/results/extract.md, or extract-<shape>.md), --keep (keep the
// generated archives), --only (comma-separated substrings of tool labels, e.g. "storage-safe,GNU"),
// --shape (a shape of bench/shapes.ts by name prefix, e.g. small: its tar.gz and the zip
// repackage makes of it, cached in bench/.data/, instead of the model).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateModel, type GeneratedModel } from './lib/generate-model.js';
import { entryCount, generateShape, shapes } from './lib/generate-shape.js';
import { option, parseSize } from './lib/args.js';
import { measure, type Measured } from './lib/measure.js';
import { markdownTable, median } from './lib/stats.js';
import { DEFAULT_ZIP_CONCURRENCY } from '../src/extract/write/extract-to-directory.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);

interface Case {
  label: string;
  format: 'tar.gz' | 'zip';
  run(archive: string, dest: string): Promise<Measured>;
}

const node = (kind: string) => (archive: string, dest: string) => measure(process.execPath, [join(here, 'lib', 'extract-cases.mjs'), kind, archive, dest], { cwd: join(here, '..') });

const CASES: Case[] = [
  { label: 'floor: Node gunzip to nowhere', format: 'tar.gz', run: node('floor-gunzip') },
  { label: 'storage-safe-archive', format: 'tar.gz', run: node('ours-default') },
  { label: 'storage-safe-archive, gunzipWorker', format: 'tar.gz', run: node('ours-gunzip-worker') },
  { label: 'storage-safe-archive, syncSmallFiles false', format: 'tar.gz', run: node('ours-async-small') },
  { label: 'node-tar (tar.x)', format: 'tar.gz', run: node('node-tar') },
  { label: 'GNU tar -xzf', format: 'tar.gz', run: (a, d) => mkdir(d, { recursive: true }).then(() => measure('tar', ['-xzf', a, '-C', d])) },
  { label: 'storage-safe-archive, concurrency 1', format: 'zip', run: node('ours-1') },
  { label: `storage-safe-archive, concurrency ${DEFAULT_ZIP_CONCURRENCY} (default)`, format: 'zip', run: node('ours-default') },
  { label: 'storage-safe-archive, syncSmallFiles false', format: 'zip', run: node('ours-async-small') },
  { label: 'yauzl (one entry at a time)', format: 'zip', run: node('yauzl') },
  { label: 'unzip -q', format: 'zip', run: (a, d) => measure('unzip', ['-q', a, '-d', d]) },
];

/** The system tool each format's times are compared with. */
const REFERENCE = { 'tar.gz': 'GNU tar -xzf', zip: 'unzip -q' } as const;

function available(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return command === 'unzip' && existsSync('/usr/bin/unzip');
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(here, '..', 'dist', 'index.js'))) throw new Error('bench/extract.ts runs the built library: run `npm run build` first');
  process.stderr.write(`extraction bench on ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'cpu'})\n`);

  const size = parseSize(option(argv, 'size', '1GiB'));
  const runs = Number(option(argv, 'runs', '3'));
  const smallFiles = Number(option(argv, 'small-files', '2000'));
  const shapeName = option(argv, 'shape', '');
  const out = option(argv, 'out', join(here, 'results', shapeName === '' ? 'extract.md' : `extract-${shapeName}.md`));
  const work = await mkdtemp(join(option(argv, 'work', tmpdir()), 'ssa-bench-extract-'));
  try {
    const models = shapeName === ''
      ? {
          'tar.gz': await generateModel({ outPath: join(work, 'model.tar.gz'), format: 'tar.gz', totalBytes: size, smallFiles, seed: 1 }),
          zip: await generateModel({ outPath: join(work, 'model.zip'), format: 'zip', totalBytes: size, smallFiles, seed: 1 }),
        }
      : await shapeArchives(shapeName);
    const measured: { format: 'tar.gz' | 'zip'; label: string; walls: number[]; inProcess: number[]; rss: number[] }[] = [];
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
        // The disk writes back what this run wrote and removed before the next one starts, so no
        // case pays for the one before it (100,000 files otherwise made GNU tar's time swing 4x).
        execFileSync('sync');
        process.stderr.write(`${c.format} ${c.label} run ${i + 1}: ${m.ms.toFixed(0)} ms\n`);
      }
      measured.push({ format: c.format, label: c.label, walls, inProcess, rss });
    }
    const rows = measured.map((row) => {
      const reference = measured.find((other) => other.format === row.format && other.label === REFERENCE[row.format]);
      const wall = median(row.walls);
      return [
        row.format,
        row.label,
        `${(wall / 1000).toFixed(2)} s`,
        row.inProcess.length ? `${(median(row.inProcess) / 1000).toFixed(2)} s` : 'n/a',
        reference ? `${(wall / median(reference.walls)).toFixed(2)}x` : 'n/a',
        row.rss.length ? `${(median(row.rss) / 2 ** 20).toFixed(0)} MiB` : 'n/a',
        `${((models[row.format].uncompressedBytes / 2 ** 20) / (wall / 1000)).toFixed(0)} MiB/s`,
      ];
    });
    const m = models['tar.gz'];
    const report = [
      '# Extraction benchmark',
      '',
      `${shapeName === '' ? 'Model' : `Shape ${shapeName}`}: ${(m.uncompressedBytes / 2 ** 30).toFixed(2)} GiB uncompressed, ${m.entries} entries${shapeName === '' ? ` (${smallFiles} small files)` : ''}; ` +
        `tar.gz ${(m.compressedBytes / 2 ** 20).toFixed(0)} MiB, zip ${(models.zip.compressedBytes / 2 ** 20).toFixed(0)} MiB.`,
      `Machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'cpu'}), Node ${process.version}. Medians of ${runs} runs, each in its own process ` +
        '(wall time includes process start; Node cases, plain Node on dist/, also report the in-process time). Peak RSS from GNU time. ' +
        '"vs tool" is the wall time over GNU tar\'s (tar.gz) or unzip\'s (zip) in the same run.',
      '',
      markdownTable(['format', 'tool', 'wall (median)', 'in-process', 'vs tool', 'peak RSS', 'throughput'], rows),
      '',
      `Reproduce: \`npm run build && npx tsx bench/extract.ts ${shapeName === '' ? `--size ${option(argv, 'size', '1GiB')}` : `--shape ${shapeName}`} --runs ${runs}${option(argv, 'work', '') === '' ? '' : ` --work ${option(argv, 'work', '')}`}\``,
      '',
    ].join('\n');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, report);
    process.stdout.write(report);
  } finally {
    if (!argv.includes('--keep')) await rm(work, { recursive: true, force: true });
  }
}

/** A shape's tar.gz and the zip repackage makes of it (deterministic), both cached in bench/.data/. */
async function shapeArchives(name: string): Promise<Record<'tar.gz' | 'zip', GeneratedModel>> {
  const shape = shapes(false).find((s) => s.name.startsWith(name));
  if (shape === undefined) throw new Error(`no shape named ${name}; known: ${shapes(false).map((s) => s.name).join(', ')}`);
  const root = join(here, '.data');
  const tarGz = await generateShape(shape, join(root, `shape-${shape.name}-seed1.tar.gz`));
  const zipPath = join(root, `shape-${shape.name}-seed1.zip`);
  const { repackage } = (await import(join(here, '..', 'dist', 'index.js'))) as typeof import('../src/index.js');
  if (!existsSync(zipPath)) await repackage({ source: tarGz.path, output: zipPath, deterministic: true, limits: { maxEntries: 1_000_000 } });
  const entries = entryCount(shape);
  const uncompressedBytes = tarGz.uncompressedBytes;
  return {
    'tar.gz': { path: tarGz.path, entries, uncompressedBytes, compressedBytes: statSync(tarGz.path).size },
    zip: { path: zipPath, entries, uncompressedBytes, compressedBytes: statSync(zipPath).size },
  };
}

await main();
