// `npx tsx test/fuzz/replay.ts <failure.json | archive> [--format F] [--source S] [--walk N]`
// Runs one saved case (a failure JSON written by the campaign) or one archive file through the
// oracle and prints every violation with its stack: the first step of diagnosing a failure.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openEnvironment, startDeflateWorkers } from './lib/environment.js';
import { isPristine, materialize, type FuzzCase, type FuzzFormat, type SourceKind } from './lib/fuzz-case.js';
import { runCase } from './lib/oracle.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { format: { type: 'string' }, source: { type: 'string', default: 'path' }, walk: { type: 'string', default: '0' }, tight: { type: 'boolean', default: false } },
});
const file = positionals[0];
if (file === undefined) {
  console.error('usage: replay.ts <failure.json | archive> [--format tar|tgz|zip] [--source path|stream|random-access] [--walk N] [--tight]');
  process.exit(2);
}
let bytes: Buffer;
let options: Parameters<typeof runCase>[1];
if (file.endsWith('.json')) {
  const saved = JSON.parse(await readFile(file, 'utf8')) as { fuzzCase?: FuzzCase } & Partial<FuzzCase>;
  const fuzzCase = (saved.fuzzCase ?? saved) as FuzzCase;
  bytes = await materialize(fuzzCase);
  options = { format: fuzzCase.format, source: fuzzCase.source, walkSeed: fuzzCase.walkSeed, tightLimits: fuzzCase.tightLimits, pristine: isPristine(fuzzCase), ...(fuzzCase.calls ? { calls: fuzzCase.calls } : {}) };
} else {
  bytes = await readFile(file);
  const format = (values.format ?? (file.endsWith('.zip') ? 'zip' : file.endsWith('.gz') ? 'tgz' : 'tar')) as FuzzFormat;
  options = { format, source: values.source as SourceKind, walkSeed: Number(values.walk), tightLimits: values.tight, pristine: false };
}
await startDeflateWorkers();
const env = openEnvironment();
try {
  const result = await runCase(bytes, options, env);
  console.log(JSON.stringify({ bytes: bytes.length, ...options, outcomes: result.outcomes }, null, 2));
  for (const v of result.violations) console.log(`\n${v.operation} ${v.kind}: ${v.message}\n${v.stack ?? ''}`);
  process.exitCode = result.violations.length > 0 ? 1 : 0;
} finally {
  env.close();
}
