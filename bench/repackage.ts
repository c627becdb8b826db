// Benchmark: repackaging a compiled model (tar.gz) into a zip, against the naive path and the
// decompression floors, on the same generated model in one run.
//
//   npm run bench -- --only repackage --size 1GiB --runs 3      (the full run, ~10 min on 2 cores)
//   npx tsx bench/repackage.ts --size 64MiB --runs 1            (a smoke run)
//
// Every case runs in its own process (peak RSS is per case, from GNU time when installed).
// Rounds run every case once, in the same order; ratios are taken within a round, then the
// median over rounds is reported. The table goes to bench/results/repackage.md.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateModel } from './lib/generate-model.js';
import { option, parseSize } from './lib/args.js';
import { measure, type Measured } from './lib/measure.js';
import { markdownTable, median } from './lib/stats.js';

const argv = process.argv.slice(2);
const size = parseSize(option(argv, 'size', '1GiB'));
const runs = Number(option(argv, 'runs', '3'));
const root = resolve('bench/.data');
const model = join(root, `model-${size}-seed1.tar.gz`);
const work = join(root, 'work');
const MiB = 2 ** 20;

const NODE_CASES = ['ours-auto', 'ours-deflate', 'naive-yazl', 'naive-archiver', 'node-gunzip'] as const;
const SHELL_CASES: Record<string, string> = {
  'gnu-tar-xzf': `mkdir -p ${work}/gnu && tar -xzf ${model} -C ${work}/gnu && rm -rf ${work}/gnu`,
  'gzip-dc': `gzip -dc ${model} > /dev/null`,
};
const DESCRIPTIONS: Record<string, string> = {
  'ours-auto': '`repackage --compression auto` (tar.gz stream to zip, weights stored)',
  'ours-deflate': '`repackage --compression deflate` (everything deflated, level 6)',
  'naive-yazl': 'naive: node-tar extract, then yazl zip of the folder',
  'naive-archiver': 'naive: node-tar extract, then archiver zip of the folder',
  'gnu-tar-xzf': 'GNU `tar -xzf` (extract only)',
  'gzip-dc': 'floor: `gzip -dc > /dev/null`',
  'node-gunzip': "floor: Node's zlib gunzip to nowhere",
};

mkdirSync(work, { recursive: true });
if (!existsSync(model)) {
  console.error(`generating ${model} ...`);
  await generateModel({ outPath: model, format: 'tar.gz', totalBytes: size, seed: 1 });
}
const modelBytes = (await stat(model)).size;
console.error(`model: ${(size / MiB).toFixed(0)} MiB uncompressed, ${(modelBytes / MiB).toFixed(0)} MiB tar.gz; ${runs} round(s)`);

const rounds: Record<string, Measured>[] = [];
for (let round = 0; round < runs; round++) {
  const results: Record<string, Measured> = {};
  for (const name of NODE_CASES) {
    results[name] = await measure(process.execPath, ['--import', 'tsx', 'bench/lib/repackage-cases.ts', name, model, work]);
    console.error(`round ${round + 1}: ${name} ${(results[name]!.ms / 1000).toFixed(2)} s`);
  }
  for (const [name, command] of Object.entries(SHELL_CASES)) {
    results[name] = await measure(command, [], { shell: true });
    console.error(`round ${round + 1}: ${name} ${(results[name]!.ms / 1000).toFixed(2)} s`);
  }
  rounds.push(results);
}
rmSync(work, { recursive: true, force: true });

const names = [...NODE_CASES, ...Object.keys(SHELL_CASES)];
const floorOf = (r: Record<string, Measured>) => Math.min(r['node-gunzip']!.ms, r['gzip-dc']!.ms);
const rows = names.map((name) => {
  const times = rounds.map((r) => r[name]!.ms);
  const toFloor = median(rounds.map((r) => r[name]!.ms / floorOf(r)));
  const naiveOverThis = median(rounds.map((r) => r['naive-yazl']!.ms / r[name]!.ms));
  const rss = median(rounds.map((r) => r[name]!.peakRssBytes ?? NaN));
  const scratch = rounds[0]![name]!.report?.scratchPeakBytes;
  return [
    DESCRIPTIONS[name] ?? name,
    (median(times) / 1000).toFixed(2),
    `${(Math.min(...times) / 1000).toFixed(2)}–${(Math.max(...times) / 1000).toFixed(2)}`,
    `${toFloor.toFixed(2)}x`,
    name.startsWith('ours') ? `${naiveOverThis.toFixed(2)}x` : '',
    Number.isFinite(rss) ? (rss / MiB).toFixed(0) : 'n/a',
    scratch === undefined ? (name === 'gnu-tar-xzf' ? `${(size / MiB).toFixed(0)} (files)` : '0') : (scratch / MiB).toFixed(0),
  ];
});
const zipStep = median(rounds.map((r) => (r['naive-yazl']!.report?.zipMs ?? NaN)));
const deflateVsZipStep = median(rounds.map((r) => r['ours-deflate']!.ms / (r['naive-yazl']!.report?.zipMs ?? NaN)));
const table = markdownTable(['case', 'median s', 'range s', 'vs floor', 'naive-yazl / this', 'peak RSS MiB', 'peak scratch disk MiB'], rows);
const text = `# repackage benchmark

Model: generated compiled model, ${(size / MiB).toFixed(0)} MiB uncompressed, ${(modelBytes / MiB).toFixed(0)} MiB as tar.gz (bench/lib/generate-model.ts, seed 1).
Rounds: ${runs}; medians over rounds; ratios taken within each round, then the median. Floor: the faster of the two gunzip floors in that round.
Machine: ${process.platform} ${process.arch}, Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs. Date: ${new Date().toISOString()}.
Command: \`npm run bench -- --only repackage --size ${option(argv, 'size', '1GiB')} --runs ${runs}\`

${table}

Naive path's zip step alone (yazl, after extraction): median ${(zipStep / 1000).toFixed(2)} s; \`repackage --compression deflate\` / that step: ${deflateVsZipStep.toFixed(2)}x.
Peak scratch disk for the naive path is tarball + extracted tree + zip, all on the function's /tmp; ours writes only the output zip (0 scratch), and nothing at all on /tmp when the zip streams to S3.
Peak RSS of the Node cases includes the tsx loader (the Node gunzip floor's figure is that baseline); the built library repackaging the 1 GiB model peaks at about 130 to 140 MiB.
`;
mkdirSync(resolve('bench/results'), { recursive: true });
writeFileSync(resolve('bench/results/repackage.md'), text);
console.log(text);
