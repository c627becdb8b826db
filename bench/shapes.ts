// Benchmark: repackage across archive shapes (thousands of small files, a few huge ones, mixed,
// and the compiled-model fixture), against the floors, the naive path and its peers, in one run.
//
//   npm run build && npm run bench -- --only shapes --runs 3         (full: about 40 min on 2 cores)
//   npm run build && npx tsx bench/shapes.ts --quick --runs 1         (a tenth of the entries: minutes)
//
// Options: --runs N (3), --quick, --cases a,b (subset), --shapes a,b (name prefixes), --no-naive.
// Each case runs in its own plain Node process on the built library (dist/), so its peak RSS is
// what a user's process sees (GNU time's maximum resident set). Rounds run every case once in
// the same order; ratios are taken within a round, then the median over rounds is reported.
// Writes bench/results/shapes.md (table and an RSS-against-entries chart).
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { generateModel } from './lib/generate-model.js';
import { entryCount, generateShape, shapes } from './lib/generate-shape.js';
import { option } from './lib/args.js';
import { measure, type Measured } from './lib/measure.js';
import { markdownTable, median } from './lib/stats.js';

const argv = process.argv.slice(2);
const runs = Number(option(argv, 'runs', '3'));
const quick = argv.includes('--quick');
const root = resolve('bench/.data');
const work = join(root, 'work-shapes');
const MiB = 2 ** 20;
if (!existsSync(resolve('dist/index.js'))) throw new Error('bench/shapes.ts runs the built library: run `npm run build` first');

const ALL_CASES = ['floor-gunzip', 'floor-gunzip-deflate', 'ours-1-worker', 'ours-gunzip-worker', 'ours-n-workers', 'naive-yazl', 'naive-archiver'] as const;
const wanted = option(argv, 'cases', '').split(',').filter(Boolean);
const CASES = ALL_CASES.filter((c) => (wanted.length === 0 || wanted.includes(c)) && !(argv.includes('--no-naive') && c.startsWith('naive')));
const DESCRIPTIONS: Record<string, string> = {
  'floor-gunzip': 'floor: gunzip to nowhere',
  'floor-gunzip-deflate': 'floor: gunzip, then one level-6 deflate stream',
  'ours-1-worker': '`repackage` auto, deflateWorkers 1',
  'ours-gunzip-worker': '`repackage` auto, deflateWorkers 1, gunzipWorker',
  'ours-n-workers': `\`repackage\` auto, deflateWorkers ${availableParallelism()} (one per CPU)`,
  'naive-yazl': 'naive: node-tar extract, yazl zip',
  'naive-archiver': 'naive: node-tar extract, archiver zip',
};

interface Archive {
  name: string;
  description: string;
  entries: number;
  path: string;
  bytes: number;
  uncompressedBytes: number;
}

mkdirSync(work, { recursive: true });
const shapeFilter = option(argv, 'shapes', '').split(',').filter(Boolean);
const archives: Archive[] = [];
const modelBytes = quick ? 128 * MiB : 1024 * MiB;
const modelName = `model-${modelBytes / MiB}MiB`;
if (shapeFilter.length === 0 || shapeFilter.some((f) => modelName.startsWith(f))) {
  const path = join(root, `model-${modelBytes}-seed1.tar.gz`);
  const model = existsSync(path)
    ? { path, entries: 2011, uncompressedBytes: modelBytes, compressedBytes: (await import('node:fs')).statSync(path).size }
    : await generateModel({ outPath: path, format: 'tar.gz', totalBytes: modelBytes, seed: 1 });
  archives.push({ name: modelName, description: 'compiled model fixture (2,000 small files, weights shards)', entries: model.entries, path, bytes: model.compressedBytes, uncompressedBytes: model.uncompressedBytes });
}
for (const shape of shapes(quick)) {
  if (shapeFilter.length > 0 && !shapeFilter.some((f) => shape.name.startsWith(f))) continue;
  console.error(`preparing ${shape.name} ...`);
  const made = await generateShape(shape, join(root, `shape-${shape.name}-seed1.tar.gz`));
  archives.push({ name: shape.name, description: shape.description, entries: entryCount(shape), path: made.path, bytes: made.bytes, uncompressedBytes: made.uncompressedBytes });
}

const load = loadavg()[0]!;
const results = new Map<string, Record<string, Measured>[]>();
for (const archive of archives) {
  const rounds: Record<string, Measured>[] = [];
  for (let round = 0; round < runs; round++) {
    const measured: Record<string, Measured> = {};
    for (const name of CASES) {
      measured[name] = await measure(process.execPath, ['bench/lib/shape-cases.mjs', name, archive.path, work]);
      console.error(`${archive.name} round ${round + 1}: ${name} ${(measured[name]!.ms / 1000).toFixed(2)} s, ${((measured[name]!.peakRssBytes ?? 0) / MiB).toFixed(0)} MiB`);
    }
    rounds.push(measured);
  }
  results.set(archive.name, rounds);
}
rmSync(work, { recursive: true, force: true });

const ratio = (rounds: Record<string, Measured>[], name: string, floor: string) =>
  rounds[0]![floor] ? `${median(rounds.map((r) => r[name]!.ms / r[floor]!.ms)).toFixed(2)}x` : '';
const sections: string[] = [];
for (const archive of archives) {
  const rounds = results.get(archive.name)!;
  const rows = CASES.map((name) => {
    const times = rounds.map((r) => r[name]!.ms);
    const rss = median(rounds.map((r) => r[name]!.peakRssBytes ?? Number.NaN));
    return [
      DESCRIPTIONS[name]!,
      (median(times) / 1000).toFixed(2),
      `${(Math.min(...times) / 1000).toFixed(2)}–${(Math.max(...times) / 1000).toFixed(2)}`,
      ratio(rounds, name, 'floor-gunzip'),
      ratio(rounds, name, 'floor-gunzip-deflate'),
      Number.isFinite(rss) ? (rss / MiB).toFixed(0) : 'n/a',
    ];
  });
  sections.push(
    `### ${archive.name}: ${archive.description}\n\n${archive.entries.toLocaleString('en')} entries, ${(archive.uncompressedBytes / MiB).toFixed(0)} MiB of content, ${(archive.bytes / MiB).toFixed(0)} MiB as tar.gz.\n\n` +
      markdownTable(['case', 'median s', 'range s', 'vs gunzip', 'vs gunzip + deflate', 'peak RSS MiB'], rows),
  );
}

// Peak RSS against entry count, one bar per archive and case: the promise is a flat line.
const chartCases = CASES.filter((c) => c.startsWith('ours') || c.startsWith('naive'));
const byEntries = [...archives].sort((a, b) => a.entries - b.entries);
const peak = Math.max(...byEntries.flatMap((a) => chartCases.map((c) => median(results.get(a.name)!.map((r) => r[c]!.peakRssBytes ?? 0)))));
const chartLines = byEntries.flatMap((archive) =>
  chartCases.map((c) => {
    const rss = median(results.get(archive.name)!.map((r) => r[c]!.peakRssBytes ?? 0));
    const bar = '#'.repeat(Math.max(1, Math.round((rss / peak) * 50)));
    return `${archive.entries.toLocaleString('en').padStart(8)} entries  ${c.padEnd(18)} ${bar} ${(rss / MiB).toFixed(0)} MiB`;
  }),
);

const text = `# Repackage across archive shapes

Shapes: bench/lib/generate-shape.ts (each file half noise, half zeros; seeded; tar.gz at gzip level 6) and the compiled-model fixture (bench/lib/generate-model.ts, seed 1).
Rounds: ${runs}; medians over rounds; ratios taken within each round, then the median. Each case is a plain Node process on the built library; peak RSS from GNU time.
Machine: ${process.platform} ${process.arch}, Node ${process.version}, ${availableParallelism()} CPUs, load average ${load.toFixed(2)} at the start (a shared machine: read ratios, not seconds). Date: ${new Date().toISOString()}.
Command: \`npm run build && npx tsx bench/shapes.ts${quick ? ' --quick' : ''} --runs ${runs}${argv.includes('--no-naive') ? ' --no-naive' : ''}\`

${sections.join('\n\n')}

### Peak RSS against entry count

\`\`\`text
${chartLines.join('\n')}
\`\`\`
`;
mkdirSync(resolve('bench/results'), { recursive: true });
const outFile = resolve(`bench/results/shapes${quick ? '-quick' : ''}.md`);
writeFileSync(outFile, text);
console.log(text);
