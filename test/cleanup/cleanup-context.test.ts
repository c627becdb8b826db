import fc from 'fast-check';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupContext, withCleanup } from '../../src/cleanup/cleanup-context.js';
import { SuppressedError, isSuppressedError, originalError } from '../../src/cleanup/suppressed-error.js';
import { CleanupFailedError, ConfigurationError } from '../../src/errors/index.js';
import { JsonLogger } from '../../src/observe/logger.js';
import { MetricsEmitter } from '../../src/observe/metrics.js';
import { StorageManager } from '../../src/storage/storage-manager.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'ssa-cleanup-test-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

type Action =
  | { kind: 'tempDir'; files: number }
  | { kind: 'file'; bytes: number }
  | { kind: 'function'; throws: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('tempDir' as const), files: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('file' as const), bytes: fc.integer({ min: 0, max: 2048 }) }),
  fc.record({ kind: fc.constant('function' as const), throws: fc.boolean() }),
);

describe('CleanupContext', () => {
  /**
   * Seed property 3: for any sequence of temp files, temp dirs and cleanup functions, and any
   * failure point (a throw, an abort, or none), nothing is left on disk afterwards, the
   * functions ran newest first, and the original error is never hidden by a failed cleanup.
   */
  it('property 3: cleanup always happens, in reverse order, and the original error survives', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.constantFrom('await using', 'withCleanup', 'abort'),
        async (actions, failPoint, mode) => {
          const root = join(base, `run-${run++}`);
          await mkdir(root);
          const logs: string[] = [];
          const logger = new JsonLogger({ level: 'error', write: (l) => logs.push(l) });
          const calls: number[] = [];
          const throwing: string[] = [];
          const controller = new AbortController();
          const failAt = failPoint === undefined || actions.length === 0 ? -1 : failPoint % (actions.length + 1);
          const bodyError = mode === 'abort' ? new Error('aborted by test') : new Error('body failure');

          const body = async (ctx: CleanupContext) => {
            for (const [i, a] of actions.entries()) {
              if (i === failAt) break;
              if (a.kind === 'tempDir') {
                const dir = await ctx.tempDir(`t${i}-`);
                await mkdir(join(dir, 'nested'));
                for (let f = 0; f < a.files; f++) await writeFile(join(dir, 'nested', `f${f}`), 'x'.repeat(f * 10));
              } else if (a.kind === 'file') {
                const file = join(root, `file-${i}`);
                await writeFile(file, Buffer.alloc(a.bytes));
                ctx.registerCleanup(file);
              } else {
                const label = `fn-${i}`;
                if (a.throws) throwing.unshift(label); // reverse order: newest first
                ctx.registerCleanup(() => {
                  calls.push(i);
                  if (a.throws) throw new Error(`${label} failed`);
                }, label);
              }
            }
            if (failAt >= 0) {
              if (mode === 'abort') {
                controller.abort(bodyError);
                expect(ctx.disposed).toBe(true);
                await expect(ctx.tempDir('late-')).rejects.toBe(bodyError);
              }
              throw bodyError;
            }
            return 'done';
          };

          let outcome: unknown;
          let caught: unknown;
          try {
            if (mode === 'withCleanup') {
              outcome = await withCleanup(body, { root, logger, signal: controller.signal });
            } else {
              await using ctx = new CleanupContext({ root, logger, signal: controller.signal });
              outcome = await body(ctx);
            }
          } catch (error) {
            caught = error;
          }

          // Nothing left on disk.
          expect(await readdir(root)).toEqual([]);
          // Functions ran newest first.
          const fnIndexes = actions.map((a, i) => (a.kind === 'function' && (failAt < 0 || i < failAt) ? i : -1)).filter((i) => i >= 0);
          expect(calls).toEqual([...fnIndexes].reverse());
          // Errors: the original is kept; cleanup failures are listed, each logged.
          const failed = failAt >= 0;
          if (throwing.length === 0) {
            if (failed) expect(caught).toBe(bodyError);
            else expect(outcome).toBe('done');
          } else {
            const cleanupError = failed ? (caught as SuppressedError).error : caught;
            if (failed) {
              expect(isSuppressedError(caught)).toBe(true);
              expect((caught as SuppressedError).suppressed).toBe(bodyError);
              expect(originalError(caught)).toBe(bodyError);
            }
            expect(cleanupError).toBeInstanceOf(CleanupFailedError);
            expect((cleanupError as CleanupFailedError).failures.map((f) => f.path)).toEqual(throwing);
            expect(logs).toHaveLength(throwing.length);
          }
          await rm(root, { recursive: true });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('works with `await using` and disposes exactly once', async () => {
    const root = await mkdtemp(join(base, 'once-'));
    let calls = 0;
    let dir: string;
    let ctxRef: CleanupContext;
    {
      await using ctx = new CleanupContext({ root });
      ctxRef = ctx;
      dir = await ctx.tempDir('work-');
      await writeFile(join(dir, 'a'), 'a');
      ctx.registerCleanup(() => void calls++);
      expect(ctx.pending).toBe(2);
    }
    expect(await readdir(root)).toEqual([]);
    expect(ctxRef.disposed).toBe(true);
    await ctxRef[Symbol.asyncDispose]();
    expect(calls).toBe(1);
    expect(() => ctxRef.registerCleanup(dir)).toThrow(ReferenceError);
  });

  it('forceCleanup runs everything now, keeps the context usable, and reports what it freed', async () => {
    const lines: string[] = [];
    const storage = new StorageManager({ path: base, metrics: new MetricsEmitter({ write: (l) => lines.push(l) }) });
    const ctx = new CleanupContext({ storage });
    const dir = await ctx.tempDir('force-');
    expect(dir.startsWith(base)).toBe(true);
    await writeFile(join(dir, 'x'), Buffer.alloc(1000));
    expect(await ctx.forceCleanup()).toEqual({ filesRemoved: 1, bytesFreed: 1000, cleanupsRun: 1 });
    const emf = JSON.parse(lines.at(-1)!);
    expect([emf.StorageBytesFreed, emf.CleanupsPerformed, emf.CleanupFailures]).toEqual([1000, 1, 0]);
    const again = await ctx.tempDir('force-');
    await ctx[Symbol.asyncDispose]();
    expect(await readdir(base)).not.toContain(again.slice(base.length + 1));
  });

  it('rejects prefixes that would leave the root', async () => {
    const ctx = new CleanupContext({ root: base });
    await expect(ctx.tempDir('../escape-')).rejects.toBeInstanceOf(ConfigurationError);
    expect(() => ctx.registerCleanup('')).toThrow(ConfigurationError);
  });

  it('a failed cleanup on success throws CleanupFailedError; SuppressedError keeps both', async () => {
    await expect(
      withCleanup((ctx) => {
        ctx.registerCleanup(() => {
          throw new Error('nope');
        }, 'close upload');
        return 1;
      }),
    ).rejects.toThrow(/could not remove 1 path: close upload \(nope\)/);
    const s = new SuppressedError(new Error('later'), new Error('first'), 'both');
    expect(s).toBeInstanceOf(Error);
    expect(s.name).toBe('SuppressedError');
    expect(isSuppressedError(s)).toBe(true);
    expect((originalError(s) as Error).message).toBe('first');
    expect(originalError('plain')).toBe('plain');
  });
});
