import fc from 'fast-check';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsufficientStorageError } from '../../src/errors/index.js';
import { JsonLogger } from '../../src/observe/logger.js';
import { MetricsEmitter } from '../../src/observe/metrics.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('monitorUsage on a real tmpfs', () => {
  let fs: Tmpfs | undefined;
  beforeAll(() => {
    const mounted = mountTmpfs(2 * MiB);
    if (isMounted(mounted)) fs = mounted;
    else console.warn(`skipping monitor tests: ${mounted.skipReason}`);
  });
  afterAll(() => fs?.unmount());

  /**
   * Seed property 9: as usage rises by writes of any size, a warning always comes before a
   * critical, and both before the write that does not fit is refused.
   */
  it('property 9: warning, then critical, then the refusal, for any sizes of writes', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path, warningRatio: 0.5, criticalRatio: 0.8, reserveBytes: 8 * KiB });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 4 * KiB, max: 1200 * KiB }), { minLength: 1, maxLength: 12 }), async (sizes) => {
        const dir = join(fs!.path, `run-${run++}`);
        await mkdir(dir);
        const events: string[] = [];
        await using monitor = storage.monitorUsage({
          intervalMs: 60_000, // driven by check() below, not by the timer
          onWarning: () => void events.push('warning'),
          onCritical: () => void events.push('critical'),
        });
        try {
          // Keep writing (cycling through the sizes) until the library refuses one.
          for (let i = 0; ; i++) {
            const size = sizes[i % sizes.length]!;
            try {
              await storage.ensureSpace(size, { operation: `writing part ${i}` });
            } catch (error) {
              expect(error).toBeInstanceOf(InsufficientStorageError);
              events.push('failure');
              break;
            }
            await writeFile(join(dir, `part-${i}`), Buffer.alloc(size));
            await monitor.check();
          }
          const at = (e: string) => events.indexOf(e);
          expect(at('warning')).toBeGreaterThanOrEqual(0);
          expect(at('warning')).toBeLessThan(at('critical'));
          expect(at('critical')).toBeLessThan(at('failure'));
          expect(events.filter((e) => e === 'warning')).toHaveLength(1);
        } finally {
          await rm(dir, { recursive: true });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('on critical runs the emergency cleanups, samples again and reports the recovery', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path, warningRatio: 0.4, criticalRatio: 0.7 });
    const cache = join(fs.path, 'cache');
    await mkdir(cache);
    const order: string[] = [];
    const unregister = storage.registerEmergencyCleanup(async () => {
      order.push('emergency');
      await storage.cleanupDirectory(cache);
    });
    storage.registerEmergencyCleanup(function failing() {
      order.push('failing');
      throw new Error('cannot free');
    });
    const monitor = storage.monitorUsage({
      intervalMs: 60_000,
      onWarning: (m) => void order.push(`warning@${m.usedRatio >= 0.4}`),
      onCritical: (m) => void order.push(`critical@${m.usedRatio >= 0.7}`),
      onRecovered: (m) => void order.push(`recovered@${m.usedRatio < 0.4}`),
    });
    await writeFile(join(cache, 'big'), Buffer.alloc(1600 * KiB));
    await monitor.check();
    expect(order).toEqual(['warning@true', 'critical@true', 'emergency', 'failing', 'recovered@true']);
    expect(monitor.level).toBe('normal');
    expect(monitor.lastMetrics!.usedRatio).toBeLessThan(0.4);
    unregister();
    monitor.stop();
    expect(monitor.stopped).toBe(true);
  });

  it('samples on its interval, emits EMF per sample, survives a throwing callback and stops', async (ctx) => {
    if (!fs) return ctx.skip();
    const emf: string[] = [];
    const logs: string[] = [];
    const storage = new StorageManager({
      path: fs.path,
      metrics: new MetricsEmitter({ service: 't', write: (l) => emf.push(l) }),
      logger: new JsonLogger({ level: 'error', write: (l) => logs.push(l) }),
    });
    let samples = 0;
    const controller = new AbortController();
    const monitor = storage.monitorUsage({
      intervalMs: 10,
      signal: controller.signal,
      onSample: () => {
        samples++;
        throw new Error('callback bug');
      },
    });
    // Wait for three samples (a loaded CI machine may be slow), but no longer than 10 s.
    for (const deadline = Date.now() + 10_000; samples < 3 && Date.now() < deadline; ) await sleep(10);
    expect(samples).toBeGreaterThanOrEqual(3);
    expect(emf.length).toBeGreaterThanOrEqual(samples);
    expect(JSON.parse(emf[0]!)._aws.CloudWatchMetrics[0].Metrics[0].Name).toBe('StorageAvailableBytes');
    expect(logs.some((l) => l.includes('onSample callback failed') && l.includes('callback bug'))).toBe(true);
    controller.abort();
    expect(monitor.stopped).toBe(true);
    await monitor[Symbol.asyncDispose]();
    const after = samples;
    await sleep(50);
    expect(samples).toBe(after);
  });
});
