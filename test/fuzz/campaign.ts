// `npm run fuzz -- --format tar|tgz|zip|all --cases N --seed S [--max-shrinks K]`
//   [--coverage] [--skip-known] [--max-shrinks K] [--out DIR]
// --skip-known counts failures already listed in test/fixtures/fuzz/KNOWN_FAILURES.json without
// shrinking them again, so a long campaign spends its time on new ones.
// Runs a long campaign: progress on stderr (cases/s, failures), each failure's minimal archive
// under .fuzz/failures/, and a summary under .fuzz/. With --coverage it also reports V8 block
// coverage of src/extract and src/repackage (for line/branch figures use vitest --coverage on
// the sample, see docs/fuzzing.md).
import { parseArgs } from 'node:util';
import { startV8Coverage, takeV8Coverage } from './lib/v8-coverage.js';

const { values } = parseArgs({
  options: {
    format: { type: 'string', default: 'all' },
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    'max-shrinks': { type: 'string', default: '300' },
    'skip-known': { type: 'boolean', default: false },
    out: { type: 'string', default: '.fuzz' },
    coverage: { type: 'boolean', default: false },
  },
});

// Coverage starts before the code under test is loaded, hence the dynamic imports below.
if (values.coverage) await startV8Coverage();
const { openEnvironment, startDeflateWorkers } = await import('./lib/environment.js');
await startDeflateWorkers();
const { FUZZ_FORMATS } = await import('./lib/fuzz-case.js');
const { saveFailure, saveSummary } = await import('./lib/report.js');
const { runFuzz } = await import('./lib/runner.js');
const { isKnownSignature, knownFailures } = await import('./lib/known-failures.js');
const known = knownFailures();
type FuzzFormat = import('./lib/fuzz-case.js').FuzzFormat;
type CampaignSummary = import('./lib/report.js').CampaignSummary;

const formats: FuzzFormat[] = values.format === 'all' ? [...FUZZ_FORMATS] : [values.format as FuzzFormat];
if (!formats.every((f) => FUZZ_FORMATS.includes(f))) {
  console.error(`--format must be tar, tgz, zip or all (got ${values.format})`);
  process.exit(2);
}
const cases = Number(values.cases);
const seed = Number(values.seed);
const summary: CampaignSummary = { seed, startedAt: new Date().toISOString(), runs: [] };
const env = openEnvironment();
if (env.skipReason) console.error(`note: no tmpfs (${env.skipReason}); destinations are a plain folder, full-disk paths are not exercised`);
console.error(`fuzz: formats ${formats.join(', ')}, ${cases} cases each, seed ${seed}`);
let lastPrint = 0;
try {
  for (const format of formats) {
    const result = await runFuzz({
      format,
      cases,
      seed,
      env,
      maxShrinks: Number(values['max-shrinks']),
      // Saved at once (and again at the end, with its final hit count): a campaign can run for hours.
      onFailure: async (failure) => console.error(`[${format}] FAILURE ${failure.signature} -> ${await saveFailure(`${values.out}/failures`, failure)}`),
      ...(values['skip-known'] ? { isKnown: (signature: string) => isKnownSignature(signature, known) } : {}),
      onProgress: (p) => {
        if (Date.now() - lastPrint < 5_000 && p.cases !== cases) return;
        lastPrint = Date.now();
        const rate = p.cases / Math.max(0.001, p.elapsedMs / 1000);
        const shrinking = p.shrinkSteps === undefined ? '' : `, shrinking a new failure (step ${p.shrinkSteps})`;
        console.error(`[${format}] ${p.cases}/${cases} cases, ${rate.toFixed(1)} cases/s, ${p.failures} failure(s), ${(p.elapsedMs / 1000).toFixed(0)} s${shrinking}`);
      },
    });
    summary.runs.push(result);
    for (const [signature, hits] of Object.entries(result.knownHits)) console.error(`[${format}] known: ${signature} (${hits} cases)`);
    for (const failure of result.failures) await saveFailure(`${values.out}/failures`, failure);
    for (const failure of result.failures) console.error(`[${format}] failure: ${failure.signature} (${failure.hits} case(s))`);
    console.error(`[${format}] done: ${result.cases} cases in ${(result.elapsedMs / 1000).toFixed(1)} s, ${result.failures.length} distinct failure(s)`);
    console.error(`[${format}] seconds per operation: ${Object.entries(result.secondsPerOperation).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  }
} finally {
  env.close();
}
const coverage = await takeV8Coverage(['src/extract/', 'src/repackage/']);
if (coverage) summary.coverage = coverage;
const written = await saveSummary(values.out, summary);
if (coverage) for (const c of coverage) console.error(`V8 coverage ${c.folder}: functions ${c.functions.covered}/${c.functions.total}, blocks ${c.blocks.covered}/${c.blocks.total}`);
console.error(`summary: ${written}.md and .json`);
process.exitCode = summary.runs.some((r) => r.failures.length > 0) ? 1 : 0;
