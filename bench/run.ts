// `npm run bench [-- --only NAME] [--size 1GiB] [--runs 3]`: runs every bench/*.ts (not lib/,
// not this file) one after another, each in its own process, passing the options through.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { option } from './lib/args.js';

const argv = process.argv.slice(2);
const only = option(argv, 'only', '');
const passThrough = argv.filter((arg, i) => arg !== '--only' && argv[i - 1] !== '--only');
const benches = readdirSync('bench')
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .map((file) => basename(file, '.ts'))
  .filter((name) => only === '' || only.split(',').includes(name))
  .sort();
if (benches.length === 0) {
  console.error(`no bench matches --only ${only}; available: ${readdirSync('bench').filter((f) => f.endsWith('.ts') && f !== 'run.ts').join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of benches) {
  console.error(`\n### bench ${name} ${passThrough.join(' ')}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('bench', `${name}.ts`), ...passThrough], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
