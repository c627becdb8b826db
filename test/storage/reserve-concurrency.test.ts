// Many reserve() calls racing on a small real tmpfs: the ledger must never overcommit it,
// must serve waiters first-in first-out, and must time out with true figures.
import fc from 'fast-check';
import { statfs, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsufficientStorageError } from '../../src/errors/index.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('reserve() on a 1 MiB tmpfs', () => {
  let fs: Tmpfs | undefined;
  beforeAll(() => {
    const mounted = mountTmpfs(1 * MiB);
    if (isMounted(mounted)) fs = mounted;
    else console.warn(`skipping reservation tests: ${mounted.skipReason}`);
  });
  afterAll(() => fs?.unmount());

  it('never overcommits, serves in call order, and every request is eventually granted', async (ctx) => {
    if (!fs) return ctx.skip();
    const margin = 64 * KiB;
    // Two managers on the same disk share one ledger.
    const managers = [new StorageManager({ path: fs.path, reserveBytes: margin }), new StorageManager({ path: fs.path, reserveBytes: margin })];
    const s = await statfs(fs.path);
    const budget = Number(s.bavail) * Number(s.bsize) - margin;
    const sizes = fc.sample(fc.integer({ min: 4 * KiB, max: 600 * KiB }), { numRuns: 60, seed: 42 });
    const holds = fc.sample(fc.integer({ min: 0, max: 8 }), { numRuns: 60, seed: 7 });

    let held = 0;
    let peak = 0;
    const grantOrder: number[] = [];
    await Promise.all(
      sizes.map(async (bytes, i) => {
        const r = await managers[i % 2]!.reserve(bytes, { timeoutMs: 30_000 });
        grantOrder.push(i);
        held += bytes;
        peak = Math.max(peak, held);
        expect(held).toBeLessThanOrEqual(budget);
        expect(await managers[0]!.getReservedBytes()).toBe(held);
        await sleep(holds[i]!);
        held -= bytes;
        r.release();
        r.release(); // idempotent: must not return the bytes twice
      }),
    );
    expect(grantOrder).toEqual(sizes.map((_, i) => i));
    expect(peak).toBeGreaterThan(600 * KiB); // several ran at once, not only one by one
    expect(await managers[0]!.getReservedBytes()).toBe(0);
  });

  it('makes a small request wait behind a large one (no overtaking)', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path });
    const first = await storage.reserve(700 * KiB);
    const order: string[] = [];
    const large = storage.reserve(600 * KiB).then((r) => (order.push('large'), r));
    const small = storage.reserve(100 * KiB).then((r) => (order.push('small'), r));
    // One that could never fit fails at once, even from the back of the queue.
    const started = performance.now();
    await expect(storage.reserve(2 * MiB, { timeoutMs: 60_000 })).rejects.toThrow(/more than this disk can ever hold/);
    expect(performance.now() - started).toBeLessThan(1_000);
    // One that may not wait fails at once while others wait ahead of it, though it would fit.
    await expect(storage.reserve(10 * KiB, { wait: false })).rejects.toThrow(/others are waiting ahead of it/);
    // A manager for a path not created yet uses the nearest existing parent's disk and ledger.
    const later = new StorageManager({ path: join(fs.path, 'not', 'yet') });
    expect(await later.getReservedBytes()).toBe(700 * KiB);
    await sleep(50);
    expect(order).toEqual([]); // the small one would fit now, but waits its turn
    first.release();
    const [l, sm] = await Promise.all([large, small]);
    expect(order).toEqual(['large', 'small']);
    l.release();
    sm.release();
  });

  it('times out with InsufficientStorageError carrying the true figures; wait:false fails at once', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path, reserveBytes: 16 * KiB });
    const hog = await storage.reserve(900 * KiB);
    const started = performance.now();
    const error = await storage.reserve(200 * KiB, { timeoutMs: 150, operation: 'zipping' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(error).toBeInstanceOf(InsufficientStorageError);
    const e = error as InsufficientStorageError;
    const s = await statfs(fs.path);
    expect(e.availableBytes).toBe(Number(s.bavail) * Number(s.bsize) - 900 * KiB - 16 * KiB);
    expect(e.requiredBytes).toBe(200 * KiB);
    expect(e.message).toContain('zipping (still short after waiting 150 ms)');
    expect(e.details.reservedBytes).toBe(900 * KiB);

    await expect(storage.reserve(200 * KiB, { wait: false })).rejects.toBeInstanceOf(InsufficientStorageError);
    hog[Symbol.dispose]();
    const ok = await storage.reserve(200 * KiB, { wait: false });
    expect(ok.bytes).toBe(200 * KiB);
    await ok[Symbol.asyncDispose]();
  });

  it('wakes waiters when space is freed outside the ledger, and honours an AbortSignal', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path });
    const filler = join(fs.path, 'filler');
    await writeFile(filler, Buffer.alloc(900 * KiB));
    const waiting = storage.reserve(300 * KiB, { timeoutMs: 5_000 });
    const controller = new AbortController();
    const aborted = storage.reserve(10 * KiB, { signal: controller.signal });
    controller.abort(new Error('cancelled by test'));
    await expect(aborted).rejects.toThrow('cancelled by test');
    await rm(filler); // not through the ledger: the waiter's poll must notice
    const r = await waiting;
    expect(r.bytes).toBe(300 * KiB);
    r.release();
  });
});
