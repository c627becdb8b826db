// Failures found by the fuzzer that src/ does not fix yet. The fuzz tests are owned by the
// harness, the bugs by the extractor and repackage: so a known failure is listed here (with
// its diagnosis) and left out of the default run, and `FUZZ_KNOWN=1` runs it again. Once
// fixed, its entry is removed and its fixture runs by default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of regression fixtures. */
export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'fuzz');

/** KNOWN_FAILURES.json. */
export interface KnownFailures {
  /** Fixture file name -> diagnosis. */
  fixtures: Record<string, string>;
  /** Violation signatures (substrings of `operation/kind/where`) tolerated in the sample run, with the fixture that shows each. */
  signatures: Array<{ pattern: string; fixture: string }>;
}

/** Reads the list; `FUZZ_KNOWN=1` empties it, so every known failure runs (and fails) again. */
export function knownFailures(): KnownFailures {
  if (process.env.FUZZ_KNOWN === '1') return { fixtures: {}, signatures: [] };
  return JSON.parse(readFileSync(join(FIXTURES, 'KNOWN_FAILURES.json'), 'utf8')) as KnownFailures;
}

/** Whether a violation's signature is a known failure. */
export function isKnownSignature(signature: string, known: KnownFailures): boolean {
  return known.signatures.some((s) => signature.includes(s.pattern));
}
