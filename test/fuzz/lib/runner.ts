// Drives fast-check over fuzz cases. A campaign must not stop at the first failure, so the
// property fails only on a failure it has not reported yet (by signature); fast-check shrinks
// that one, the runner records the minimal case, and the next batch goes on with a new seed.
import fc from 'fast-check';
import type { FuzzEnvironment } from './environment.js';
import { fuzzCaseArbitrary, isPristine, materialize, type FuzzCase, type FuzzFormat } from './fuzz-case.js';
import { DEFAULT_SETTINGS, runCase, type CaseResult, type OracleSettings, type Violation } from './oracle.js';
import { realOperations, type FuzzOperations } from './operations.js';

/** A distinct failure: its signature, a minimal case and its bytes. */
export interface FoundFailure {
  signature: string;
  format: FuzzFormat;
  violations: Violation[];
  fuzzCase: FuzzCase;
  bytes: Buffer;
  /** Cases that hit this signature in all. */
  hits: number;
}

/** Progress of a run, reported after every case. */
export interface RunProgress {
  format: FuzzFormat;
  cases: number;
  failures: number;
  elapsedMs: number;
  /** Set while a new failure is being shrunk: how many shrink steps so far. */
  shrinkSteps?: number;
}

/** A run's options. */
export interface RunOptions {
  format: FuzzFormat;
  cases: number;
  seed: number;
  env: FuzzEnvironment;
  ops?: FuzzOperations;
  settings?: OracleSettings;
  onProgress?: (progress: RunProgress) => void;
  /** Violations already known (listed in KNOWN_FAILURES.json): counted, never shrunk again. */
  isKnown?: (signature: string) => boolean;
  /** Stop shrinking after this many steps (default 300; each step is a whole case). */
  maxShrinks?: number;
  /** Stop shrinking after this long (default 120 s: a hang costs its time limit per step). */
  maxShrinkMs?: number;
  /** Called as soon as a new failure is shrunk, so a long campaign can save it before it ends. */
  onFailure?: (failure: FoundFailure) => void | Promise<void>;
}

/** What a run found. */
export interface RunResult {
  format: FuzzFormat;
  cases: number;
  elapsedMs: number;
  failures: FoundFailure[];
  /** How often each operation ended each way (`ok`, `ExtractionError:CORRUPT`, ...). */
  outcomes: Record<string, number>;
  /** Cases per known-failure signature (see {@link RunOptions.isKnown}). */
  knownHits: Record<string, number>;
  /** Seconds spent in each operation (checks included), over all cases. */
  secondsPerOperation: Record<string, number>;
  maxRssDeltaBytes: number;
}

/**
 * A stable name for a violation: operation, kind, and for an error its class and code plus the
 * frame in src/ it came from (`extractStreaming/unexpected-error/Error:EINVAL@src/extract/...:147`).
 */
export function signatureOf(v: Violation): string {
  const frame = v.stack?.split('\n').find((line) => line.includes('/src/') && !line.includes('node_modules'))?.match(/src\/[^\s)]+?:\d+/)?.[0];
  if (v.kind === 'unexpected-error' || v.kind === 'undocumented-reason' || v.kind === 'unhandled-error') {
    // One bug, whatever message zlib or the file system happened to give.
    const label = v.message.split(': ')[v.kind === 'unhandled-error' ? 1 : 0];
    return `${v.operation}/${v.kind}/${label}${frame ? `@${frame}` : ''}`;
  }
  return `${v.operation}/${v.kind}/${v.message.replace(/\d+/g, 'N').replace(/"[^"]*"/g, '""').slice(0, 80)}`;
}

/**
 * Runs `cases` cases of `format` from `seed`, shrinking each new failure.
 *
 * @example
 * ```ts
 * const result = await runFuzz({ format: 'tar', cases: 1000, seed: 42, env });
 * ```
 */
export async function runFuzz(options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const ops = options.ops ?? realOperations;
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const found = new Map<string, FoundFailure>();
  const outcomes: Record<string, number> = {};
  const seconds: Record<string, number> = {};
  const knownHits: Record<string, number> = {};
  let cases = 0;
  let maxRss = 0;
  let shrinking = false;
  let shrinkSteps = 0;
  const maxShrinks = options.maxShrinks ?? 300;
  const maxShrinkMs = options.maxShrinkMs ?? 120_000;
  let shrinkStarted = 0;

  const evaluate = async (fuzzCase: FuzzCase): Promise<{ bytes: Buffer; result: CaseResult }> => {
    const bytes = await materialize(fuzzCase);
    const result = await runCase(bytes, { format: fuzzCase.format, source: fuzzCase.source, walkSeed: fuzzCase.walkSeed, tightLimits: fuzzCase.tightLimits, pristine: isPristine(fuzzCase), ...(fuzzCase.calls ? { calls: fuzzCase.calls } : {}) }, options.env, ops, settings);
    return { bytes, result };
  };

  const property = fc.asyncProperty(fuzzCaseArbitrary(options.format), async (fuzzCase) => {
    // Past the budget, every shrink candidate "passes": fast-check keeps the last failing one.
    if (shrinking) {
      if (++shrinkSteps > maxShrinks || Date.now() - shrinkStarted > maxShrinkMs) return true;
      options.onProgress?.({ format: options.format, cases, failures: found.size, elapsedMs: Date.now() - started, shrinkSteps });
    }
    const { result } = await evaluate(fuzzCase);
    if (!shrinking) {
      cases++;
      maxRss = Math.max(maxRss, result.peakRssDeltaBytes);
      for (const [operation, outcome] of Object.entries(result.outcomes)) outcomes[`${operation} ${outcome}`] = (outcomes[`${operation} ${outcome}`] ?? 0) + 1;
      for (const [operation, ms] of Object.entries(result.durationsMs)) seconds[operation] = (seconds[operation] ?? 0) + ms / 1000;
      options.onProgress?.({ format: options.format, cases, failures: found.size, elapsedMs: Date.now() - started });
    }
    let fresh = false;
    for (const v of result.violations) {
      const signature = signatureOf(v);
      if (options.isKnown?.(signature)) {
        if (!shrinking) knownHits[signature] = (knownHits[signature] ?? 0) + 1;
        continue;
      }
      const known = found.get(signature);
      if (known !== undefined) {
        if (!shrinking) known.hits++;
      } else fresh = true;
    }
    if (fresh && !shrinking) {
      shrinking = true;
      shrinkStarted = Date.now();
    }
    return !fresh;
  });

  let batch = 0;
  while (cases < options.cases) {
    shrinking = false;
    shrinkSteps = 0;
    const outcome = await fc.check(property, { seed: options.seed + batch++, numRuns: options.cases - cases });
    if (!outcome.failed || outcome.counterexample === null) break;
    const [minimal] = outcome.counterexample;
    const { bytes, result } = await evaluate(minimal);
    const violations = result.violations.filter((v) => !found.has(signatureOf(v)) && !options.isKnown?.(signatureOf(v)));
    const recorded: FoundFailure[] = [];
    for (const v of violations.length > 0 ? violations : result.violations.slice(0, 1)) {
      const signature = signatureOf(v);
      if (!found.has(signature)) recorded.push({ signature, format: options.format, violations: result.violations, fuzzCase: minimal, bytes, hits: 1 });
    }
    // A flaky failure that does not reproduce on the minimal case still gets recorded by its first run's signature.
    if (violations.length === 0 && result.violations.length === 0) {
      recorded.push({ signature: `flaky/${options.format}/${batch}`, format: options.format, violations: [], fuzzCase: minimal, bytes, hits: 1 });
    }
    for (const failure of recorded) {
      found.set(failure.signature, failure);
      await options.onFailure?.(failure);
    }
  }
  return { format: options.format, cases, elapsedMs: Date.now() - started, failures: [...found.values()], knownHits, outcomes, secondsPerOperation: seconds, maxRssDeltaBytes: maxRss };
}
