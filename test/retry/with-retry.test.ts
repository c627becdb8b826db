import fc from 'fast-check';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSuppressedError, type SuppressedError } from '../../src/cleanup/suppressed-error.js';
import {
  CleanupFailedError,
  CompressionError,
  ConfigurationError,
  ExtractionError,
  InsufficientStorageError,
  InvalidS3KeyError,
} from '../../src/errors/index.js';
import { classifyFailure, type FailureKind } from '../../src/retry/classify.js';
import { retryAttempts, withRetry } from '../../src/retry/with-retry.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });
const awsError = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, ...extra });
const diskFull = (freed: number) =>
  Object.assign(new InsufficientStorageError({ requiredBytes: MiB, availableBytes: 0, path: '/nonexistent-disk' }), { freed });

describe('classifyFailure', () => {
  it.each<[string, unknown, FailureKind]>([
    ['InsufficientStorageError', diskFull(0), 'disk-full'],
    ['raw ENOSPC', errno('ENOSPC'), 'disk-full'],
    ['S3 SlowDown', awsError('SlowDown', { $metadata: { httpStatusCode: 503 } }), 'throttled'],
    ['ThrottlingException', awsError('ThrottlingException'), 'throttled'],
    ['SDK $retryable throttling', awsError('Whatever', { $retryable: { throttling: true } }), 'throttled'],
    ['HTTP 429', awsError('TooMany', { $metadata: { httpStatusCode: 429 } }), 'throttled'],
    ['ECONNRESET', errno('ECONNRESET'), 'connection'],
    ['ETIMEDOUT', errno('ETIMEDOUT'), 'connection'],
    ['EPIPE', errno('EPIPE'), 'connection'],
    ['socket hang up', new Error('socket hang up'), 'connection'],
    ['HTTP 500', awsError('InternalError', { $metadata: { httpStatusCode: 500 } }), 'server'],
    ['SDK $retryable', awsError('Odd', { $retryable: {} }), 'server'],
    ['reset behind a CompressionError', new CompressionError('read failed', { reason: 'SOURCE_FAILED', cause: errno('ECONNRESET') }), 'connection'],
    ['ExtractionError, even caused by a reset', new ExtractionError('cut', { reason: 'CORRUPT', cause: errno('ECONNRESET') }), 'permanent'],
    ['ConfigurationError', new ConfigurationError('x', 'bad'), 'permanent'],
    ['CompressionError INVALID_NAME', new CompressionError('bad', { reason: 'INVALID_NAME', cause: errno('ECONNRESET') }), 'permanent'],
    ['InvalidS3KeyError', new InvalidS3KeyError('job', 'bad'), 'permanent'],
    ['CleanupFailedError', new CleanupFailedError([{ path: '/x', cause: errno('EBUSY') }]), 'permanent'],
    ['NoSuchKey', awsError('NoSuchKey', { $metadata: { httpStatusCode: 404 } }), 'permanent'],
    ['plain Error', new Error('boom'), 'permanent'],
    ['a string', 'boom', 'permanent'],
  ])('%s is %s', (_name, error, kind) => {
    expect(classifyFailure(error)).toBe(kind);
  });
});

type Outcome = 'throttled' | 'connection' | 'server' | 'disk-freed' | 'disk-nothing' | 'extraction' | 'config' | 'invalid-zip-name';
const RECOVERABLE: ReadonlySet<Outcome> = new Set(['throttled', 'connection', 'server', 'disk-freed']);

function makeError(o: Outcome): Error {
  switch (o) {
    case 'throttled':
      return awsError('SlowDown', { $metadata: { httpStatusCode: 503 } });
    case 'connection':
      return errno('ECONNRESET');
    case 'server':
      return awsError('InternalError', { $metadata: { httpStatusCode: 500 } });
    case 'disk-freed':
      return diskFull(MiB);
    case 'disk-nothing':
      return diskFull(0);
    case 'extraction':
      return new ExtractionError('hostile', { reason: 'PATH_TRAVERSAL' });
    case 'config':
      return new ConfigurationError('retries', 'bad');
    case 'invalid-zip-name':
      return new CompressionError('bad', { reason: 'INVALID_NAME' });
  }
}

describe('withRetry', () => {
  /**
   * Seed property 10: recoverable failures are retried with a cleanup between attempts (never
   * after the last), attempts are bounded by retries + 1, and permanent failures are not retried.
   */
  it('property 10: cleans between attempts, bounds attempts, never retries the unrecoverable', async () => {
    const outcome = fc.constantFrom<Outcome>('throttled', 'connection', 'server', 'disk-freed', 'disk-nothing', 'extraction', 'config', 'invalid-zip-name');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), fc.array(outcome, { maxLength: 8 }), async (retries, outcomes) => {
        const events: string[] = [];
        const thrown: Error[] = [];
        let result: unknown;
        let caught: unknown;
        try {
          result = await withRetry(
            (attempt) => {
              events.push(`attempt ${attempt}`);
              const o = outcomes[attempt - 1];
              if (o === undefined) return 'ok';
              const error = makeError(o);
              thrown.push(error);
              throw error;
            },
            {
              retries,
              minTimeoutMs: 0,
              randomize: false,
              cleanup: (attempt, error) => {
                events.push(`cleanup ${attempt}`);
                return { bytesFreed: (error as { freed?: number }).freed ?? 0 };
              },
            },
          );
        } catch (error) {
          caught = error;
        }

        // The model: what must have happened.
        const expected: string[] = [];
        let k = 1;
        for (; ; k++) {
          expected.push(`attempt ${k}`);
          const o = outcomes[k - 1];
          if (o === undefined) break;
          if (k === retries + 1) break; // out of retries: no cleanup after the last attempt
          if (o === 'disk-nothing') expected.push(`cleanup ${k}`); // the cleanup runs, frees nothing
          if (!RECOVERABLE.has(o)) break;
          if (o !== 'disk-nothing') expected.push(`cleanup ${k}`);
        }
        expect(events).toEqual(expected);
        expect(k).toBeLessThanOrEqual(retries + 1);
        if (outcomes[k - 1] === undefined) {
          expect(result).toBe('ok');
        } else {
          expect(caught).toBe(thrown.at(-1)); // the last error itself, not a wrapper
          expect(retryAttempts(caught)).toBe(k);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('uses exponential backoff between attempts', async () => {
    const starts: number[] = [];
    await expect(
      withRetry(
        () => {
          starts.push(performance.now());
          throw errno('ECONNRESET');
        },
        { retries: 3, minTimeoutMs: 20, factor: 2, randomize: false },
      ),
    ).rejects.toMatchObject({ code: 'ECONNRESET', attempts: 4 });
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
  });

  it('stops at once when aborted during the delay, with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 30);
    const started = performance.now();
    let attempts = 0;
    const error = await withRetry(
      () => {
        attempts++;
        throw errno('ETIMEDOUT');
      },
      { retries: 5, minTimeoutMs: 10_000, signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(retryAttempts(error)).toBe(1);
    expect(attempts).toBe(1);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('keeps both errors when the cleanup between attempts fails, and stops', async () => {
    const first = errno('ECONNRESET');
    const error = await withRetry(
      () => {
        throw first;
      },
      {
        retries: 3,
        minTimeoutMs: 0,
        cleanup: () => {
          throw new Error('cleanup broke');
        },
      },
    ).catch((e: unknown) => e);
    expect(isSuppressedError(error)).toBe(true);
    expect((error as SuppressedError).suppressed).toBe(first);
    expect(((error as SuppressedError).error as Error).message).toBe('cleanup broke');
    expect(retryAttempts(error)).toBe(1);
  });

  it('lets shouldRetry override the default and tells onRetry what happened', async () => {
    const seen: unknown[] = [];
    const result = await withRetry(
      (attempt) => {
        if (attempt < 3) throw new Error('custom transient');
        return attempt;
      },
      {
        retries: 5,
        minTimeoutMs: 0,
        shouldRetry: ({ error }) => (error as Error).message === 'custom transient',
        onRetry: ({ attempt, kind, retriesLeft }) => seen.push({ attempt, kind, retriesLeft }),
      },
    );
    expect(result).toBe(3);
    expect(seen).toEqual([
      { attempt: 1, kind: 'permanent', retriesLeft: 4 },
      { attempt: 2, kind: 'permanent', retriesLeft: 3 },
    ]);
  });

  it('does not retry a full disk when there is no cleanup to free it', async () => {
    let attempts = 0;
    await expect(
      withRetry(
        () => {
          attempts++;
          throw diskFull(0);
        },
        { retries: 3, minTimeoutMs: 0 },
      ),
    ).rejects.toBeInstanceOf(InsufficientStorageError);
    expect(attempts).toBe(1);
  });
});

describe('withRetry on a full tmpfs', () => {
  let fs: Tmpfs | undefined;
  beforeAll(() => {
    const mounted = mountTmpfs(1 * MiB);
    if (isMounted(mounted)) fs = mounted;
    else console.warn(`skipping tmpfs retry tests: ${mounted.skipReason}`);
  });
  afterAll(() => fs?.unmount());

  it('retries a refused write once the cleanup has measurably freed space', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path });
    const stale = join(fs.path, 'stale-output');
    await writeFile(stale, Buffer.alloc(700 * KiB));
    const freed: (number | undefined)[] = [];
    const written = await withRetry(
      async () => {
        await storage.ensureSpace(600 * KiB, { operation: 'writing model.zip' });
        await writeFile(join(fs!.path, 'model.zip'), Buffer.alloc(600 * KiB));
        return 'written';
      },
      {
        retries: 2,
        minTimeoutMs: 0,
        cleanup: async () => {
          await rm(stale, { force: true }); // returns nothing: the disk is measured instead
        },
        onRetry: ({ bytesFreed }) => freed.push(bytesFreed),
      },
    );
    expect(written).toBe('written');
    expect(freed).toHaveLength(1);
    expect(freed[0]).toBeGreaterThanOrEqual(700 * KiB);
    await rm(join(fs.path, 'model.zip'));
  });

  it('gives up on a full disk when the cleanup frees nothing', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path });
    let cleanups = 0;
    const error = await withRetry(() => storage.ensureSpace(2 * MiB), {
      retries: 3,
      minTimeoutMs: 0,
      cleanup: () => void cleanups++,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientStorageError);
    expect(retryAttempts(error)).toBe(1);
    expect(cleanups).toBe(1);
  });
});
