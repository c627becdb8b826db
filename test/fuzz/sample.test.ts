// The fixed-seed sample of the fuzz campaign that runs with every `npm test`: the same cases
// every time, so a red run is reproducible with `npm run fuzz -- --format F --cases N --seed S`.
// FUZZ_SAMPLE_CASES overrides the count. Failures already listed in KNOWN_FAILURES.json are
// printed but tolerated (FUZZ_KNOWN=1 makes them fail again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnvironment, startDeflateWorkers, type FuzzEnvironment } from './lib/environment.js';
import { FUZZ_FORMATS } from './lib/fuzz-case.js';
import { isKnownSignature, knownFailures } from './lib/known-failures.js';
import { runFuzz } from './lib/runner.js';

/** Cases per format: measured to keep the three formats within a few minutes on 2 shared cores. */
const SAMPLE_CASES = Number(process.env.FUZZ_SAMPLE_CASES ?? 1000);
const SAMPLE_SEED = 20_261_123;

let env: FuzzEnvironment;
beforeAll(async () => {
  await startDeflateWorkers();
  env = openEnvironment();
  if (env.skipReason) console.warn(`fuzz sample runs on a plain folder: ${env.skipReason}`);
});
afterAll(() => env.close());

describe(`fuzz sample (${SAMPLE_CASES} cases per format, seed ${SAMPLE_SEED})`, () => {
  for (const format of FUZZ_FORMATS) {
    it(`${format}: no crash, no hang, no leak, nothing left behind`, { timeout: 15 * 60_000 }, async () => {
      const known = knownFailures();
      const result = await runFuzz({ format, cases: SAMPLE_CASES, seed: SAMPLE_SEED, env, maxShrinks: 50, isKnown: (signature) => isKnownSignature(signature, known) });
      for (const [signature, hits] of Object.entries(result.knownHits)) console.warn(`[fuzz ${format}] known failure still present: ${signature} (${hits} cases)`);
      expect(result.cases).toBe(SAMPLE_CASES);
      expect(result.failures.map((f) => `${f.signature}: ${f.violations[0]?.message ?? ''} ${JSON.stringify(f.fuzzCase)}`)).toEqual([]);
    });
  }
});
