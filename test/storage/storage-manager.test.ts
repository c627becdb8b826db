import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, statfs, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupFailedError, ConfigurationError } from '../../src/errors/index.js';
import { MetricsEmitter } from '../../src/observe/metrics.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const MiB = 1024 * 1024;

describe('StorageManager configuration', () => {
  it('validates its options with ConfigurationError naming the option', () => {
    expect(() => new StorageManager({ warningRatio: 2 })).toThrow(/warningRatio must be a number greater than 0/);
    expect(() => new StorageManager({ warningRatio: 0.9, criticalRatio: 0.5 })).toThrow(ConfigurationError);
    expect(() => new StorageManager({ reserveBytes: -5 })).toThrow(/reserveBytes/);
    expect(() => new StorageManager({ path: '' })).toThrow(ConfigurationError);
    expect(() => new StorageManager().monitorUsage({ intervalMs: 0 })).toThrow(/intervalMs/);
  });

  it('refuses to empty a file-system root', async () => {
    await expect(new StorageManager().cleanupDirectory('/')).rejects.toThrow(/below the file-system root/);
    await expect(new StorageManager().cleanupDirectory('')).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('reads thresholds from the environment', () => {
    const saved = process.env.STORAGE_CRITICAL_RATIO;
    process.env.STORAGE_CRITICAL_RATIO = 'ninety';
    try {
      expect(() => new StorageManager()).toThrow(/STORAGE_CRITICAL_RATIO must be a number/);
      process.env.STORAGE_CRITICAL_RATIO = '0.99';
      expect(new StorageManager().thresholds).toEqual({ warningRatio: 0.8, criticalRatio: 0.99 });
    } finally {
      if (saved === undefined) delete process.env.STORAGE_CRITICAL_RATIO;
      else process.env.STORAGE_CRITICAL_RATIO = saved;
    }
  });

  it('defaults to os.tmpdir() and reads the same figures as statfs', async () => {
    const storage = new StorageManager();
    expect(storage.path).toBe(tmpdir());
    const s = await statfs(tmpdir());
    const total = Number(s.blocks) * Number(s.bsize);
    const metrics = await storage.getMetrics();
    expect(metrics.totalSpace).toBe(total);
    expect(await storage.getAvailableSpace()).toBeGreaterThan(0);
  });
});

describe('on a private tmpfs', () => {
  let fs: Tmpfs | undefined;
  beforeAll(() => {
    const mounted = mountTmpfs(16 * MiB);
    if (isMounted(mounted)) fs = mounted;
    else console.warn(`skipping tmpfs tests: ${mounted.skipReason}`);
  });
  afterAll(() => fs?.unmount());

  /** Seed property 7: metrics are consistent and their timestamps never go backwards. */
  it('property 7: used + available <= total, thresholds in order, figures exact, timestamps monotonic', async (ctx) => {
    if (!fs) return ctx.skip();
    const root = fs.path;
    const storage = new StorageManager({ path: root });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), size: fc.integer({ min: 0, max: 64 * 1024 }) }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 8 }), async (ops) => {
        const dir = join(root, `run-${run++}`);
        await mkdir(dir);
        const files: string[] = [];
        let previous = await storage.getMetrics();
        for (const [i, o] of ops.entries()) {
          if (o.kind === 'write') {
            const file = join(dir, `f${i}`);
            await writeFile(file, Buffer.alloc(o.size, 1));
            files.push(file);
          } else if (files.length > 0) {
            const [file] = files.splice(o.pick % files.length, 1);
            await rm(file!);
          }
          const m = await storage.getMetrics();
          const raw = await statfs(root);
          expect(m.totalSpace).toBe(Number(raw.blocks) * Number(raw.bsize));
          expect(m.availableSpace).toBe(Number(raw.bavail) * Number(raw.bsize));
          expect(m.usedSpace + m.availableSpace).toBeLessThanOrEqual(m.totalSpace);
          expect(m.usedSpace).toBeGreaterThanOrEqual(0);
          expect(m.thresholdWarning).toBeLessThanOrEqual(m.thresholdCritical);
          expect(m.thresholdCritical).toBeLessThanOrEqual(m.usedSpace + m.availableSpace);
          expect(m.usedRatio).toBeGreaterThanOrEqual(0);
          expect(m.usedRatio).toBeLessThanOrEqual(1);
          expect(m.timestamp.getTime()).toBeGreaterThanOrEqual(previous.timestamp.getTime());
          previous = m;
        }
        await rm(dir, { recursive: true });
      }),
      { numRuns: 100 },
    );
  });

  it('cleanupDirectory removes the contents, keeps the directory, counts files and bytes, frees the disk', async (ctx) => {
    if (!fs) return ctx.skip();
    const lines: string[] = [];
    const storage = new StorageManager({ path: fs.path, metrics: new MetricsEmitter({ write: (l) => lines.push(l) }) });
    const dir = join(fs.path, 'work');
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'one'), Buffer.alloc(100_000));
    await writeFile(join(dir, 'a', 'two'), Buffer.alloc(20_000));
    await writeFile(join(dir, 'a', 'b', 'three'), Buffer.alloc(3));
    const outside = join(fs.path, 'outside');
    await writeFile(outside, 'keep me');
    await symlink(outside, join(dir, 'link-out'));
    const before = await storage.getAvailableSpace();

    const result = await storage.cleanupDirectory(dir);
    expect(result).toEqual({ filesRemoved: 4, bytesFreed: 100_000 + 20_000 + 3 + outside.length });
    expect(await readdir(dir)).toEqual([]);
    expect(await readdir(fs.path)).toContain('outside'); // the link was removed, not its target
    expect(await storage.getAvailableSpace()).toBeGreaterThanOrEqual(before + 120_000);
    const emf = JSON.parse(lines.at(-1)!);
    expect([emf.StorageBytesFreed, emf.CleanupsPerformed, emf.CleanupFailures]).toEqual([result.bytesFreed, 1, 0]);

    expect(await storage.cleanupDirectory(join(fs.path, 'missing'))).toEqual({ filesRemoved: 0, bytesFreed: 0 });
    await rm(outside);
  });

  it('cleanupDirectory keeps going past failures and lists every path it could not remove', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path });
    const dir = join(fs.path, 'busy');
    const mountPoints = [join(dir, 'm1'), join(dir, 'nested', 'm2')];
    for (const m of mountPoints) {
      await mkdir(m, { recursive: true });
      // A mount point cannot be removed (EBUSY), even by root: a real, unfakeable failure.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', m]);
      await writeFile(join(m, 'inside'), 'x');
    }
    await writeFile(join(dir, 'plain'), Buffer.alloc(10));
    try {
      const error = await storage.cleanupDirectory(dir).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CleanupFailedError);
      const failures = (error as CleanupFailedError).failures;
      expect(failures.map((f) => f.path).sort()).toEqual([...mountPoints].sort());
      expect(failures.every((f) => (f.cause as NodeJS.ErrnoException).code === 'EBUSY')).toBe(true);
      expect((error as Error).message).toContain(mountPoints[1]!);
      // Everything else went: the plain file and the files inside the mounts.
      expect((await readdir(dir)).sort()).toEqual(['m1', 'nested']);
      expect(await readdir(mountPoints[0]!)).toEqual([]);
    } finally {
      for (const m of mountPoints) execFileSync('umount', [m]);
      await rm(dir, { recursive: true });
    }
  });
});

describe('cleanupDirectory on the default disk', () => {
  it('cleans a directory under os.tmpdir()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ssa-sm-'));
    await writeFile(join(dir, 'x'), 'abc');
    const storage = new StorageManager();
    expect(await storage.cleanupDirectory(dir)).toEqual({ filesRemoved: 1, bytesFreed: 3 });
    await rm(dir, { recursive: true });
  });
});
