// Benchmark: reading and repackaging zips of many entries (a zip source, not a tar.gz), against
// the peer library (yauzl) and the system tool (Info-ZIP `unzip -tqq`: every entry inflated and
// its CRC checked, nothing written), in one run.
//
//   npm run build && npx tsx bench/zip-source.ts --runs 3         (about 5 minutes on 2 cores)
//
// The zips are made from the shapes of bench/shapes.ts (cached in bench/.data/) by repackage with
// deterministic: true. Writes bench/results/zip-source.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { option } from './lib/args.js';
import { entryCount, generateShape, shapes } from './lib/generate-shape.js';
import { measure, type Measured } from './lib/measure.js';
import { markdownTable, median } from './lib/stats.js';

const argv = process.argv.slice(2);
const runs = Number(option(argv, 'runs', '3'));
const root = resolve('bench/.data');
const work = join(root, 'work-zip-source');
const MiB = 2 ** 20;
if (!existsSync(resolve('dist/index.js'))) throw new Error('bench/zip-source.ts runs the built library: run `npm run build` first');
const hasUnzip = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const CASES = [...(hasUnzip ? ['unzip-test', 'unzip-extract'] : []), 'yauzl-read', 'ours-entries', 'ours-extract', 'ours-repackage'];
const DESCRIPTIONS: Record<string, string> = {
  'unzip-test': '`unzip -tqq` (inflate and check every entry)',
  'yauzl-read': 'yauzl: every entry inflated to nowhere',
  'ours-entries': '`entries()`: every body read (checked) to nowhere',
  'unzip-extract': '`unzip -q` to a folder',
  'ours-extract': '`extractStreaming` to a folder (default concurrency)',
  'ours-repackage': '`repackage` zip to zip, deflateWorkers 1',
};

mkdirSync(work, { recursive: true });
const { repackage } = (await import(resolve('dist/index.js'))) as typeof import('../src/index.js');
const wanted = option(argv, 'shapes', 'small,medium').split(',');
const archives: Array<{ name: string; description: string; entries: number; path: string }> = [];
for (const shape of shapes(false)) {
  if (!wanted.some((w) => shape.name.startsWith(w))) continue;
  const tarGz = await generateShape(shape, join(root, `shape-${shape.name}-seed1.tar.gz`));
  const path = join(root, `shape-${shape.name}-seed1.zip`);
  if (!existsSync(path)) await repackage({ source: tarGz.path, output: path, deterministic: true, limits: { maxEntries: 1_000_000 } });
  archives.push({ name: shape.name, description: shape.description, entries: entryCount(shape), path });
}

const load = loadavg()[0]!;
const sections: string[] = [];
for (const archive of archives) {
  const rounds: Record<string, Measured>[] = [];
  for (let round = 0; round < runs; round++) {
    const measured: Record<string, Measured> = {};
    for (const name of CASES) {
      const extracted = join(work, 'extracted');
      rmSync(extracted, { recursive: true, force: true });
      if (name === 'unzip-test') measured[name] = await measure('unzip', ['-tqq', archive.path]);
      else if (name === 'unzip-extract') measured[name] = await measure('unzip', ['-q', archive.path, '-d', extracted]);
      else measured[name] = await measure(process.execPath, ['bench/lib/zip-source-cases.mjs', name, archive.path, work]);
      rmSync(extracted, { recursive: true, force: true });
      // Written back before the next case starts: no case pays for the one before it.
      execFileSync('sync');
      console.error(`${archive.name} round ${round + 1}: ${name} ${(measured[name]!.ms / 1000).toFixed(2)} s, ${((measured[name]!.peakRssBytes ?? 0) / MiB).toFixed(0)} MiB`);
    }
    rounds.push(measured);
  }
  const reference = hasUnzip ? 'unzip-test' : 'yauzl-read';
  const rows = CASES.map((name) => {
    const times = rounds.map((r) => r[name]!.ms);
    return [
      DESCRIPTIONS[name]!,
      (median(times) / 1000).toFixed(2),
      `${(Math.min(...times) / 1000).toFixed(2)}–${(Math.max(...times) / 1000).toFixed(2)}`,
      `${median(rounds.map((r) => r[name]!.ms / r[reference]!.ms)).toFixed(2)}x`,
      (median(rounds.map((r) => r[name]!.peakRssBytes ?? Number.NaN)) / MiB).toFixed(0),
    ];
  });
  sections.push(
    `### ${archive.name}.zip: ${archive.description}\n\n${archive.entries.toLocaleString('en')} entries, ${(statSync(archive.path).size / MiB).toFixed(0)} MiB as zip.\n\n` +
      markdownTable(['case', 'median s', 'range s', `vs ${DESCRIPTIONS[reference]!.split(':')[0]}`, 'peak RSS MiB'], rows),
  );
}
rmSync(work, { recursive: true, force: true });

const text = `# Zip sources with many entries

Zips made from the shapes of bench/shapes.ts by \`repackage\` (deterministic). Rounds: ${runs}; medians; ratios within each round, then the median. Each case is its own process; peak RSS from GNU time.
Machine: ${process.platform} ${process.arch}, Node ${process.version}, ${availableParallelism()} CPUs, load average ${load.toFixed(2)} at the start. Date: ${new Date().toISOString()}.
Command: \`npm run build && npx tsx bench/zip-source.ts --runs ${runs}\`

${sections.join('\n\n')}
`;
writeFileSync(resolve('bench/results/zip-source.md'), text);
console.log(text);
