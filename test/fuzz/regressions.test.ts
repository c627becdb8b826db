// Every archive the fuzzer ever broke something with, minimised, through the same oracle, under
// every source kind and two entries() walks. Named after what it broke; the .md beside each
// says how. A fixture named `valid-*` (or `half-read-*`) is a valid archive that was refused: it must succeed. A
// `<fixture>.calls.json` beside it gives the call options the failure needed (else plain calls).
// Fixtures listed in KNOWN_FAILURES.json (bugs not fixed yet) run with FUZZ_KNOWN=1.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallVariant } from './lib/call-variant.js';
import { openEnvironment, startDeflateWorkers, type FuzzEnvironment } from './lib/environment.js';
import type { FuzzFormat, SourceKind } from './lib/fuzz-case.js';
import { FIXTURES, knownFailures } from './lib/known-failures.js';
import { runCase } from './lib/oracle.js';

const FORMAT_BY_EXTENSION: Array<[string, FuzzFormat]> = [
  ['.tar.gz', 'tgz'],
  ['.tar', 'tar'],
  ['.zip', 'zip'],
];

function formatOf(name: string): FuzzFormat | undefined {
  return FORMAT_BY_EXTENSION.find(([extension]) => name.endsWith(extension))?.[1];
}

const all = readdirSync(FIXTURES).filter((name) => formatOf(name) !== undefined).sort();
const known = knownFailures();
const running = all.filter((name) => !(name in known.fixtures));
const SOURCES: SourceKind[] = ['path', 'stream', 'random-access'];
// Walk seeds (first roll of mulberry32): 0 reads the first body in full (0.27), 4 leaves it
// untouched (0.92), 20 reads one chunk of it and moves on (0.75).
const WALKS = [0, 4, 20];

let env: FuzzEnvironment;
beforeAll(async () => {
  await startDeflateWorkers();
  env = openEnvironment();
  if (env.skipReason) console.warn(`fuzz regressions run on a plain folder: ${env.skipReason}`);
});
afterAll(() => env.close());

describe('fuzz regression fixtures', () => {
  it('every fixture has a one-line description, and every known failure names an existing fixture', () => {
    for (const name of all) expect(existsSync(join(FIXTURES, `${name}.md`)), `${name}.md`).toBe(true);
    for (const name of Object.keys(known.fixtures)) expect(all, name).toContain(name);
    for (const { fixture } of known.signatures) expect(all, fixture).toContain(fixture);
  });

  for (const name of running) {
    it(`${name}: ${readFileSync(join(FIXTURES, `${name}.md`), 'utf8').split('\n')[0]?.trim() ?? ''}`, async () => {
      const bytes = readFileSync(join(FIXTURES, name));
      const format = formatOf(name) as FuzzFormat;
      const callsFile = join(FIXTURES, `${name}.calls.json`);
      const calls = existsSync(callsFile) ? (JSON.parse(readFileSync(callsFile, 'utf8')) as CallVariant) : undefined;
      const broken: string[] = [];
      for (const source of SOURCES) {
        for (const walkSeed of WALKS) {
          const { violations } = await runCase(bytes, { format, source, walkSeed, tightLimits: false, pristine: name.startsWith('valid-') || name.startsWith('half-read-'), ...(calls ? { calls } : {}) }, env);
          for (const v of violations) broken.push(`${source}/walk ${walkSeed}: ${v.operation} ${v.kind}: ${v.message.split('\n')[0]}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
