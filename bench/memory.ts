// Benchmark: does peak memory grow with the archive? Repackages and extracts generated models of
// several sizes with the BUILT library (dist/, so no loader in the figure), each run in its own
// process, and reports peak RSS from GNU time.
//
//   npm run build && npx tsx bench/memory.ts --sizes 256MiB,4GiB
//
// The models are generated with gzip level 1 (faster to make; the reader's work per byte is the
// same). The repackaged zip goes to a Writable that counts and discards, so the only disk used is
// the extraction's destination (removed after each run).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateModel } from './lib/generate-model.js';
import { option, parseSize } from './lib/args.js';

const argv = process.argv.slice(2);
const sizes = option(argv, 'sizes', '256MiB,4GiB').split(',').map(parseSize);
const root = resolve('bench/.data');
const MiB = 2 ** 20;
const library = resolve('dist/index.js');
if (!existsSync(library)) throw new Error('build the library first: npm run build');

const REPACKAGE = `
import { repackage } from ${JSON.stringify(library)};
import { Writable } from 'node:stream';
let bytes = 0;
const sink = new Writable({ write(chunk, _e, done) { bytes += chunk.length; done(); } });
const result = await repackage({ source: process.argv[1], output: sink });
console.log(JSON.stringify({ bytesOut: bytes, entries: result.entries }));
`;
const EXTRACT = `
import { StreamingExtractor } from ${JSON.stringify(library)};
const result = await new StreamingExtractor().extractStreaming(process.argv[1], process.argv[2]);
console.log(JSON.stringify({ entries: result.entries, bytesWritten: result.bytesWritten }));
`;

function peakRssMiB(script: string, args: string[]): { rssMiB: number; seconds: number } {
  const started = Date.now();
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, '--input-type=module', '-e', script, '--', ...args], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`run failed: ${run.stderr.slice(-2000)}`);
  const kib = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1]);
  return { rssMiB: kib / 1024, seconds: (Date.now() - started) / 1000 };
}

const rows: string[] = [];
for (const size of sizes) {
  const model = join(root, `memory-model-${size}.tar.gz`);
  if (!existsSync(model)) {
    console.error(`generating ${size / MiB} MiB model (gzip level 1) ...`);
    await generateModel({ outPath: model, format: 'tar.gz', totalBytes: size, gzipLevel: 1 });
  }
  const repack = peakRssMiB(REPACKAGE, [model]);
  console.error(`${size / MiB} MiB repackage: ${repack.rssMiB.toFixed(0)} MiB RSS, ${repack.seconds.toFixed(1)} s`);
  const dest = mkdtempSync(join(tmpdir(), 'ssa-memory-'));
  let extract: { rssMiB: number; seconds: number };
  try {
    extract = peakRssMiB(EXTRACT, [model, join(dest, 'out')]);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
  console.error(`${size / MiB} MiB extract: ${extract.rssMiB.toFixed(0)} MiB RSS, ${extract.seconds.toFixed(1)} s`);
  rows.push(`| ${size / MiB} MiB | ${repack.rssMiB.toFixed(0)} MiB | ${repack.seconds.toFixed(1)} s | ${extract.rssMiB.toFixed(0)} MiB | ${extract.seconds.toFixed(1)} s |`);
}

const node = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
const table = [
  '# Peak memory against archive size',
  '',
  `Built library (dist/), Node ${node}, one process per run, peak RSS from GNU time. Generated models (bench/lib/generate-model.ts, gzip level 1).`,
  `Command: \`npm run build && npx tsx bench/memory.ts --sizes ${option(argv, 'sizes', '256MiB,4GiB')}\``,
  '',
  '| model (uncompressed) | repackage peak RSS | repackage time | extract peak RSS | extract time |',
  '| --- | --- | --- | --- | --- |',
  ...rows,
  '',
].join('\n');
writeFileSync(resolve('bench/results/memory.md'), table);
console.log(table);
