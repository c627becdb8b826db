// The oracle: runs one archive through getArchiveInfo, entries(), extractStreaming and
// repackage, and lists every broken promise. Each call must settle within a limit that grows
// with the input; succeed (and keep everything inside the destination) or reject with a
// documented StorageError; raise nothing at process level; leak no descriptor; leave nothing
// in the destination or TMPDIR after a rejection; and keep memory under a fixed bound. The
// case's CallVariant says how each operation is called (atomic, filter, cleanup callback,
// cancellation part-way...); the promises are the same whatever the options.
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { COMPRESSION_REASONS, CompressionError, EXTRACTION_REASONS, ExtractionError, InsufficientStorageError, isStorageError } from '../../../src/errors/index.js';
import type { ExtractionLimits } from '../../../src/extract/policy/limits.js';
import type { ArchiveEntry, ArchiveSource, RandomAccessSource } from '../../../src/extract/types.js';
import type { ProcessingState } from '../../../src/observe/progress.js';
import { PLAIN_CALLS, type CallVariant } from './call-variant.js';
import { countOpenFds, type FuzzEnvironment } from './environment.js';
import { confinementProblems, isUntouched, unexpectedNames } from './fs-checks.js';
import type { FuzzFormat, SourceKind } from './fuzz-case.js';
import { CountingSink, realOperations, type FuzzOperations, type OperationInput } from './operations.js';
import { mulberry32 } from './prng.js';

/** The operations judged, in the order they run. */
export const OPERATIONS = ['getArchiveInfo', 'entries', 'extractStreaming', 'repackage'] as const;
/** One of {@link OPERATIONS}. */
export type OperationName = (typeof OPERATIONS)[number];

/** The promises a case can break. */
export type ViolationKind =
  | 'hang'
  | 'unexpected-error'
  | 'undocumented-reason'
  | 'escape'
  | 'leftover-destination'
  | 'leftover-tmpdir'
  | 'fd-leak'
  | 'unhandled-error'
  | 'memory'
  | 'valid-archive-rejected'
  | 'unverified-body'
  | 'result-mismatch'
  | 'bad-progress'
  | 'wrong-outcome';

/** One broken promise. */
export interface Violation {
  operation: OperationName | 'process';
  kind: ViolationKind;
  message: string;
  stack?: string;
}

/** How one case is run. */
export interface CaseOptions {
  format: FuzzFormat;
  source: SourceKind;
  walkSeed: number;
  tightLimits: boolean;
  /** An unmutated valid archive: it must succeed (bar a full disk or a tight limit). */
  pristine: boolean;
  /** How the operations are called (default {@link PLAIN_CALLS}). */
  calls?: CallVariant;
}

/** Bounds of the oracle. */
export interface OracleSettings {
  /** Every call gets at least this long. */
  baseTimeoutMs: number;
  /** Plus this per KiB of input (bombs expand 1,000:1, so this covers their output). */
  msPerKiB: number;
  /** Peak RSS above the case's starting RSS. */
  rssBoundBytes: number;
}

/** Defaults: generous, since the machine is shared. */
export const DEFAULT_SETTINGS: OracleSettings = { baseTimeoutMs: 10_000, msPerKiB: 20, rssBoundBytes: 256 * 1024 * 1024 };

/** What happened in one case. */
export interface CaseResult {
  violations: Violation[];
  /** Per operation: `ok` or `<ErrorClass>:<reason>`. */
  outcomes: Partial<Record<OperationName, string>>;
  /** Wall time per operation, checks included. */
  durationsMs: Partial<Record<OperationName, number>>;
  peakRssDeltaBytes: number;
}

/** Limits low enough that small inputs reach the limit paths. */
export const TIGHT_LIMITS: Partial<ExtractionLimits> = { maxEntries: 20, maxDepth: 8, maxPathBytes: 256, maxMetadataBytes: 4096, maxCompressionRatio: 50 };

const SENTINEL = 'sentinel: must survive every case';

/** Where the hostile names of the seeds and mutators would land if an absolute or climbing name got through. */
const ABSOLUTE_CANARIES = ['/tmp/escape', '/tmp/escape.txt', '/tmp/abs-escape.txt', '/tmp/abs.txt', '/etc/escape', '/etc/pax-escape', '/escape', '/escape.txt'];

/** A random-access reader over a buffer, in 64 KiB chunks. */
export function bufferSource(bytes: Buffer): RandomAccessSource {
  return {
    size: bytes.length,
    name: 'fuzz-buffer',
    createReadStream: (start, end) => {
      const parts: Buffer[] = [];
      for (let at = start; at < Math.min(end, bytes.length); at += 65536) parts.push(bytes.subarray(at, Math.min(end, at + 65536)));
      return Readable.from(parts);
    },
  };
}

/** `ok` for a documented failure, else the violation it is. */
export function judgeError(error: unknown): { label: string; violation?: Pick<Violation, 'kind' | 'message' | 'stack'> } {
  if (isStorageError(error)) {
    const reason = (error as { reason?: unknown }).reason;
    const label = `${error.name}${reason === undefined ? '' : `:${String(reason)}`}`;
    if (error instanceof InsufficientStorageError) return { label };
    if (error instanceof ExtractionError && (EXTRACTION_REASONS as readonly unknown[]).includes(reason)) return { label };
    if (error instanceof CompressionError && (COMPRESSION_REASONS as readonly unknown[]).includes(reason)) return { label };
    return { label, violation: { kind: 'undocumented-reason', message: `${label}: ${error.message}`, ...(error.stack ? { stack: error.stack } : {}) } };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as NodeJS.ErrnoException).code;
  const label = `${e.name}${code ? `:${code}` : ''}`;
  return { label, violation: { kind: 'unexpected-error', message: `${label}: ${e.message}`, ...(e.stack ? { stack: e.stack } : {}) } };
}

function allowedForValidArchive(label: string, options: CaseOptions, aborted: boolean): boolean {
  if (label.startsWith('InsufficientStorageError')) return true;
  if (options.tightLimits && label.endsWith(':LIMIT_EXCEEDED')) return true;
  if (aborted && label.endsWith(':ABORTED')) return true;
  if (options.calls?.extract === 'links-reject' && label.endsWith(':LINK_REJECTED')) return true;
  return options.format === 'zip' && options.source === 'stream' && label.endsWith(':UNSUPPORTED_FORMAT');
}

type Settled = { ok: true } | { ok: false; error: unknown } | { timedOut: true };

async function withinLimit(limitMs: number, run: (signal: AbortSignal) => Promise<unknown>): Promise<Settled> {
  const controller = new AbortController();
  const running = run(controller.signal).then(
    (): Settled => ({ ok: true }),
    (error: unknown): Settled => ({ ok: false, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled>((resolve) => (timer = setTimeout(() => resolve({ timedOut: true }), limitMs)));
  const settled = await Promise.race([running, timeout]);
  clearTimeout(timer);
  if ('timedOut' in settled) {
    // Stop the runaway call so the next case starts clean, and give it a moment to let go.
    controller.abort(new Error('fuzz time limit'));
    await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }
  return settled;
}

async function walkEntries(ops: FuzzOperations, input: OperationInput, seed: number, abortAt: () => void, report: (message: string) => void): Promise<void> {
  const random = mulberry32(seed);
  for await (const entry of ops.entries(input)) {
    abortAt();
    const roll = random();
    if (roll < 0.04) break; // leaving early must close everything
    if (entry.type === 'file' && roll < 0.5) {
      let bytes = 0;
      for await (const chunk of entry.body) bytes += (chunk as Buffer).length;
      if (bytes !== entry.size) report(`${entry.path}: body gave ${bytes} bytes without error, header says ${entry.size}`);
    } else if (roll < 0.75) {
      await entry.skip();
    } else if (entry.type === 'file' && roll < 0.85) {
      await entry.body[Symbol.asyncIterator]().next(); // half read, then move on
    }
  }
}

async function settleFds(before: number): Promise<number> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, i === 0 ? 0 : 25));
    const now = countOpenFds();
    if (now <= before) return now;
  }
  return countOpenFds();
}

let caseCounter = 0;

/**
 * Runs `bytes` through the four operations and returns the broken promises.
 *
 * @example
 * ```ts
 * const { violations } = await runCase(bytes, { format: 'tar', source: 'path', walkSeed: 1, tightLimits: false, pristine: false }, env);
 * ```
 */
export async function runCase(bytes: Buffer, options: CaseOptions, env: FuzzEnvironment, ops: FuzzOperations = realOperations, settings: OracleSettings = DEFAULT_SETTINGS): Promise<CaseResult> {
  const violations: Violation[] = [];
  const outcomes: CaseResult['outcomes'] = {};
  const durationsMs: CaseResult['durationsMs'] = {};
  const caseDir = join(env.scratch, `c${++caseCounter}`);
  const destination = join(caseDir, 'dest');
  const random = mulberry32(options.walkSeed ^ 0x9e3779b9);
  const preexisting = random() < 0.5;
  const inputPath = join(env.inputs, 'archive.bin');
  if (options.source === 'path') await writeFile(inputPath, bytes);
  await mkdir(caseDir);
  await writeFile(join(caseDir, 'sentinel'), SENTINEL);
  if (preexisting) {
    await mkdir(destination);
    await writeFile(join(destination, 'keep.txt'), SENTINEL);
  }
  const source = (): ArchiveSource => (options.source === 'path' ? inputPath : options.source === 'stream' ? Readable.from(chunksOf(bytes, 1 + (options.walkSeed % 65536))) : bufferSource(bytes));
  const limits = options.tightLimits ? TIGHT_LIMITS : undefined;
  const limitMs = settings.baseTimeoutMs + (bytes.length / 1024) * settings.msPerKiB;

  env.takeProcessErrors();
  const fdsBefore = countOpenFds();
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 10);

  const add = (operation: Violation['operation'], v: Pick<Violation, 'kind' | 'message' | 'stack'>) => violations.push({ operation, ...v });
  const variant = options.calls ?? PLAIN_CALLS;
  // An atomic extraction refuses a destination that already holds something (ConfigurationError).
  const expectsConfigurationError = variant.extract === 'atomic' && preexisting;

  // Per operation: the caller's own cancellation (at its k-th progress report that moved, or
  // k-th entry of entries(); timer-driven repeats would make it land by timing), and a check
  // that progress only moves forward. A fresh state each operation: a call that timed out may
  // still report for a moment, and must not touch the next one's.
  interface OperationState {
    abort: AbortController;
    counted: number;
    last: ProcessingState | undefined;
    wentBack: boolean;
  }
  const newState = (): OperationState => ({ abort: new AbortController(), counted: 0, last: undefined, wentBack: false });
  let current = newState();
  const countTowardsAbort = (state: OperationState): void => {
    if (variant.abortAt > 0 && ++state.counted === variant.abortAt) state.abort.abort(new Error('fuzz: cancelled by the caller'));
  };
  const inputFor = (operation: OperationName, signal: AbortSignal, state: OperationState): OperationInput => ({
    source,
    limits,
    signal: variant.abortAt > 0 ? AbortSignal.any([signal, state.abort.signal]) : signal,
    calls: variant,
    onProgress: (progress) => {
      const { last } = state;
      if (last !== undefined && !state.wentBack && (progress.filesProcessed < last.filesProcessed || progress.bytesProcessed < last.bytesProcessed)) {
        state.wentBack = true;
        add(operation, { kind: 'bad-progress', message: `progress went back: ${last.filesProcessed} files/${last.bytesProcessed} bytes, then ${progress.filesProcessed}/${progress.bytesProcessed}` });
      }
      const moved = last === undefined || progress.filesProcessed !== last.filesProcessed || progress.bytesProcessed !== last.bytesProcessed;
      state.last = progress;
      if (moved && progress.currentPhase !== 'done' && progress.currentPhase !== 'cleanup') countTowardsAbort(state);
    },
    onFileWritten: (entry, path) => checkWrittenFile(entry, path, destination, (message) => add(operation, { kind: 'unverified-body', message })),
  });
  const calls: Record<OperationName, (signal: AbortSignal) => Promise<unknown>> = {
    getArchiveInfo: (signal) => ops.getArchiveInfo(inputFor('getArchiveInfo', signal, current)),
    entries: (signal) => {
      const state = current;
      return walkEntries(ops, inputFor('entries', signal, state), options.walkSeed, () => countTowardsAbort(state), (message) => add('entries', { kind: 'unverified-body', message }));
    },
    extractStreaming: (signal) => ops.extractStreaming(inputFor('extractStreaming', signal, current), destination),
    repackage: async (signal) => {
      const sink = new CountingSink();
      const result = await ops.repackage(inputFor('repackage', signal, current), sink);
      if (result.bytesOut !== sink.bytes) add('repackage', { kind: 'result-mismatch', message: `result says ${result.bytesOut} bytes out, the sink received ${sink.bytes}` });
    },
  };

  try {
    for (const operation of OPERATIONS) {
      const started = performance.now();
      current = newState();
      const settled = await withinLimit(limitMs, calls[operation]);
      const aborted = current.abort.signal.aborted;
      if ('timedOut' in settled) {
        outcomes[operation] = 'hang';
        add(operation, { kind: 'hang', message: `did not settle within ${Math.round(limitMs)} ms (${bytes.length}-byte input)` });
      } else if (operation === 'extractStreaming' && expectsConfigurationError && (settled.ok || (settled.error as Error).name === 'ConfigurationError')) {
        // A broken archive may be refused before the destination is looked at; success never.
        outcomes[operation] = settled.ok ? 'ok' : 'ConfigurationError';
        if (settled.ok) add(operation, { kind: 'wrong-outcome', message: 'an atomic extraction wrote into a destination that was not empty' });
      } else if (settled.ok) {
        outcomes[operation] = 'ok';
        if (operation === 'extractStreaming') for (const problem of await variantProblems(variant, destination)) add(operation, { kind: 'wrong-outcome', message: problem });
      } else {
        const judged = judgeError(settled.error);
        outcomes[operation] = judged.label;
        if (judged.violation) add(operation, judged.violation);
        else if (options.pristine && !allowedForValidArchive(judged.label, options, aborted)) {
          add(operation, { kind: 'valid-archive-rejected', message: `a valid archive was refused: ${judged.label}: ${(settled.error as Error).message}` });
        }
      }
      if (operation === 'extractStreaming') await checkDestination(caseDir, destination, preexisting, outcomes[operation] === 'ok', (v) => add(operation, v));
      const leftovers = await readdir(env.tmpdir);
      if (leftovers.length > 0) {
        add(operation, { kind: 'leftover-tmpdir', message: `left in TMPDIR: ${leftovers.slice(0, 5).join(', ')}` });
        await Promise.all(leftovers.map((n) => rm(join(env.tmpdir, n), { recursive: true, force: true })));
      }
      for (const caught of env.takeProcessErrors()) add(operation, describeProcessError(caught.event, caught.error));
      durationsMs[operation] = performance.now() - started;
    }
    const fdsAfter = await settleFds(fdsBefore);
    if (fdsAfter > fdsBefore) add('process', { kind: 'fd-leak', message: `${fdsAfter - fdsBefore} file descriptor(s) still open after the case (${fdsBefore} before, ${fdsAfter} after)` });
    for (const caught of env.takeProcessErrors()) add('process', describeProcessError(caught.event, caught.error));
  } finally {
    clearInterval(sampler);
    await rm(caseDir, { recursive: true, force: true });
  }
  const peakRssDeltaBytes = Math.max(0, rssPeak - rssBefore);
  if (peakRssDeltaBytes > settings.rssBoundBytes) {
    add('process', { kind: 'memory', message: `peak RSS rose ${(peakRssDeltaBytes / 2 ** 20).toFixed(0)} MiB (bound ${(settings.rssBoundBytes / 2 ** 20).toFixed(0)} MiB)` });
  }
  return { violations, outcomes, durationsMs, peakRssDeltaBytes };
}

/** What the `cleanup-*` modes check of each file handed to the callback: a regular file, inside the destination, of the entry's size. */
async function checkWrittenFile(entry: ArchiveEntry, path: string, destination: string, report: (message: string) => void): Promise<void> {
  try {
    const [root, folder] = await Promise.all([realpath(destination), realpath(dirname(path))]);
    const inside = relative(root, folder);
    if (inside === '..' || inside.startsWith(`..${sep}`)) report(`cleanupCallback was given ${path}, outside the destination`);
    const stats = await lstat(path);
    if (!stats.isFile()) report(`cleanupCallback was given ${path}, which is not a regular file`);
    else if (stats.size !== entry.size) report(`cleanupCallback was given ${path} of ${stats.size} bytes; the entry says ${entry.size}`);
  } catch (error) {
    report(`cleanupCallback was given ${path}, which cannot be read: ${(error as Error).message}`);
  }
}

/** After a successful extraction: what the call's options promised about the result. */
async function variantProblems(variant: CallVariant, destination: string): Promise<string[]> {
  if (variant.extract !== 'filter' && variant.extract !== 'cleanup-delete' && variant.extract !== 'links-reject') return [];
  if (!existsSync(destination)) return [];
  const problems: string[] = [];
  const entries = await readdir(destination, { recursive: true, withFileTypes: true });
  for (const dirent of entries) {
    if (dirent.isDirectory()) continue;
    const path = relative(destination, join(dirent.parentPath, dirent.name)).split(sep).join('/');
    if (path === 'keep.txt') continue;
    if (variant.extract === 'filter' && path.length % 2 !== 0) problems.push(`the filter refused ${path}, yet it was written`);
    if (variant.extract === 'cleanup-delete' && dirent.isFile()) problems.push(`the cleanup callback deleted every file, yet ${path} is there`);
    if (variant.extract === 'links-reject' && dirent.isSymbolicLink()) problems.push(`links were rejected, yet ${path} is a symlink`);
    if (variant.extract === 'links-reject' && dirent.isFile() && (await lstat(join(dirent.parentPath, dirent.name))).nlink > 1) problems.push(`links were rejected, yet ${path} is a hard link`);
  }
  return problems.slice(0, 5);
}

function describeProcessError(event: string, error: unknown): Pick<Violation, 'kind' | 'message' | 'stack'> {
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: 'unhandled-error', message: `${event}: ${e.name}: ${e.message}`, ...(e.stack ? { stack: e.stack } : {}) };
}

function* chunksOf(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function checkDestination(caseDir: string, destination: string, preexisting: boolean, succeeded: boolean, report: (v: Pick<Violation, 'kind' | 'message'>) => void): Promise<void> {
  const stray = await unexpectedNames(caseDir, ['sentinel', 'dest']);
  if (stray.length > 0) report({ kind: 'escape', message: `written beside the destination: ${stray.join(', ')}` });
  const strayAbove = (await unexpectedNames(dirname(caseDir), [])).filter((n) => !/^c\d+$/.test(n));
  if (strayAbove.length > 0) report({ kind: 'escape', message: `written above the destination: ${strayAbove.join(', ')}` });
  const landed = ABSOLUTE_CANARIES.filter((path) => existsSync(path));
  if (landed.length > 0) report({ kind: 'escape', message: `written outside the scratch disk: ${landed.join(', ')}` });
  if (!(await isUntouched(join(caseDir, 'sentinel'), SENTINEL))) report({ kind: 'escape', message: 'the sentinel beside the destination was changed or linked' });
  if (preexisting && !(await isUntouched(join(destination, 'keep.txt'), SENTINEL))) report({ kind: 'escape', message: 'a file that was in the destination before was changed or removed' });
  if (succeeded) {
    // An archive with nothing to write may leave no destination at all.
    if (!existsSync(destination)) return;
    for (const problem of await confinementProblems(destination)) report({ kind: 'escape', message: problem });
    return;
  }
  const left = preexisting ? await unexpectedNames(destination, ['keep.txt']) : await readdir(destination).then((n) => ['(the destination folder itself)', ...n], () => []);
  if (left.length > 0) report({ kind: 'leftover-destination', message: `left after a rejection: ${left.slice(0, 5).join(', ')}` });
}
