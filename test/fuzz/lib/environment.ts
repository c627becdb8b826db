// What a fuzz run holds for all its cases: one small real tmpfs for destinations, a private
// TMPDIR, a folder for input files, and process listeners that catch unhandled errors and
// rejections. Mounted once per run (not per case): mounting costs more than most cases.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDeflateWorkers, segmentDeflater } from '../../../src/zip/deflate-pool.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../../support/tmpfs.js';

/** An error that reached a process-level handler. */
export interface ProcessLevelError {
  event: 'uncaughtException' | 'unhandledRejection';
  error: unknown;
}

/** Run-level resources; `close()` restores the process as it was. */
export interface FuzzEnvironment {
  /** Root of the tmpfs (or a plain folder, when mounting is refused: see `skipReason`). */
  scratch: string;
  /** The TMPDIR every operation sees; must stay empty. */
  tmpdir: string;
  /** Where input archives are written for path sources. */
  inputs: string;
  /** Why no tmpfs could be mounted, if so (the run goes on with a plain folder and says so). */
  skipReason: string | undefined;
  /** Errors caught by the process listeners since the last `takeProcessErrors()`. */
  takeProcessErrors(): ProcessLevelError[];
  close(): void;
}

/** Bytes of the destination tmpfs: small, so bombs and big trees meet a full disk. */
export const SCRATCH_BYTES = 32 * 1024 * 1024;

/**
 * Starts the process-wide deflate workers (they live as long as the process, like libuv's thread
 * pool), so that their descriptors are part of the baseline and not taken for a case's leak.
 */
export async function startDeflateWorkers(): Promise<void> {
  const deflater = segmentDeflater(defaultDeflateWorkers());
  const job = { data: Buffer.alloc(64 * 1024, 1), dictionary: undefined, final: true, level: 6 };
  await Promise.all(Array.from({ length: deflater.parallelism * 2 }, () => deflater.deflate(job)));
}

/** Open file descriptors of this process. */
export function countOpenFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Sets up a run: mounts the tmpfs, points TMPDIR at a private folder and takes over the
 * process's `uncaughtException`/`unhandledRejection` handlers (the test runner's are put back
 * on `close()`, so a caught error is attributed to its case instead of failing the run blind).
 *
 * @example
 * ```ts
 * const env = openEnvironment();
 * try { ... } finally { env.close(); }
 * ```
 */
export function openEnvironment(options: { scratchBytes?: number } = {}): FuzzEnvironment {
  const root = mkdtempSync(join(tmpdir(), 'ssa-fuzz-'));
  const mounted = mountTmpfs(options.scratchBytes ?? SCRATCH_BYTES);
  let tmpfs: Tmpfs | undefined;
  let scratch: string;
  let skipReason: string | undefined;
  if (isMounted(mounted)) {
    tmpfs = mounted;
    scratch = mounted.path;
  } else {
    skipReason = mounted.skipReason;
    scratch = join(root, 'scratch');
    mkdirSync(scratch);
  }
  const privateTmp = join(root, 'tmp');
  const inputs = join(root, 'inputs');
  mkdirSync(privateTmp);
  mkdirSync(inputs);
  const previousTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp;

  const caught: ProcessLevelError[] = [];
  const onException = (error: unknown) => caught.push({ event: 'uncaughtException', error });
  const onRejection = (error: unknown) => caught.push({ event: 'unhandledRejection', error });
  const savedException = process.listeners('uncaughtException');
  const savedRejection = process.listeners('unhandledRejection');
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);

  return {
    scratch,
    tmpdir: privateTmp,
    inputs,
    skipReason,
    takeProcessErrors: () => caught.splice(0, caught.length),
    close() {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
      for (const listener of savedException) process.on('uncaughtException', listener);
      for (const listener of savedRejection) process.on('unhandledRejection', listener as NodeJS.UnhandledRejectionListener);
      if (previousTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmpdir;
      tmpfs?.unmount();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
