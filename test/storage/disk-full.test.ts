// A real full disk: an 8 MiB tmpfs filled to the last block. Nothing here is simulated.
import { statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupContext } from '../../src/cleanup/cleanup-context.js';
import { InsufficientStorageError } from '../../src/errors/index.js';
import { toInsufficientStorageError } from '../../src/storage/disk-space.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import { isMounted, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const KiB = 1024;
const MiB = 1024 * KiB;

async function freeBytes(path: string): Promise<{ available: number; total: number }> {
  const s = await statfs(path);
  return { available: Number(s.bavail) * Number(s.bsize), total: Number(s.blocks) * Number(s.bsize) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('disk full on an 8 MiB tmpfs', () => {
  let fs: Tmpfs | undefined;
  beforeAll(() => {
    const mounted = mountTmpfs(8 * MiB);
    if (isMounted(mounted)) fs = mounted;
    else console.warn(`skipping disk-full tests: ${mounted.skipReason}`);
  });
  afterAll(() => fs?.unmount());

  it('refuses with true numbers before writing, converts ENOSPC when full, and cleanup frees the space', async (ctx) => {
    if (!fs) return ctx.skip();
    const margin = 64 * KiB;
    const storage = new StorageManager({ path: fs.path, reserveBytes: margin });
    const empty = await freeBytes(fs.path);
    expect(empty.total).toBe(8 * MiB);

    {
      await using cleanup = new CleanupContext({ storage });
      const work = await cleanup.tempDir('fill-');
      expect(work.startsWith(fs.path)).toBe(true);

      // 6 MiB written: the check before the next write must quote what statfs says, less the margin.
      await writeFile(join(work, 'weights.bin'), Buffer.alloc(6 * MiB, 7));
      const afterSix = await freeBytes(fs.path);
      const refused = await rejection(storage.ensureSpace(3 * MiB, { operation: 'extracting model.tar.gz' }));
      expect(refused).toBeInstanceOf(InsufficientStorageError);
      const e = refused as InsufficientStorageError;
      expect(e.requiredBytes).toBe(3 * MiB);
      expect(e.availableBytes).toBe(afterSix.available - margin);
      expect(e.path).toBe(fs.path);
      expect(e.details.totalBytes).toBe(8 * MiB);
      expect(e.details.diskAvailableBytes).toBe(afterSix.available);
      expect(e.message).toMatch(/^extracting model\.tar\.gz needs 3\.0 MiB in .* but 1\.\d MiB is free; raise the function's ephemeral storage to at least 1 GiB/);
      await storage.ensureSpace(afterSix.available - margin); // exactly what is left passes

      // A reservation takes its share out of what ensureSpace will grant.
      {
        using held = await storage.reserve(1 * MiB, { wait: false });
        expect(held.bytes).toBe(MiB);
        const short = (await rejection(storage.ensureSpace(afterSix.available - margin))) as InsufficientStorageError;
        expect(short.availableBytes).toBe(afterSix.available - margin - MiB);
        expect(await storage.getReservedBytes()).toBe(MiB);
        // The holder's own reservation counts as space it may use.
        await storage.ensureSpace(afterSix.available - margin, { reservation: held });
        expect(await storage.getReservableSpace()).toBe(afterSix.available - margin - MiB);
      }
      expect(await storage.getReservedBytes()).toBe(0);

      // Fill the disk to the last block with a write that fails half-way.
      const tooBig = join(work, 'does-not-fit.bin');
      const raw = await rejection(writeFile(tooBig, Buffer.alloc(4 * MiB, 1)));
      expect((raw as NodeJS.ErrnoException).code).toBe('ENOSPC');
      const converted = await toInsufficientStorageError(raw, { path: tooBig, requiredBytes: 4 * MiB, operation: 'writing does-not-fit.bin' });
      const full = await freeBytes(fs.path);
      expect(full.available).toBe(0);
      expect(converted).toBeInstanceOf(InsufficientStorageError);
      expect((converted as InsufficientStorageError).availableBytes).toBe(0);
      expect((converted as InsufficientStorageError).requiredBytes).toBe(4 * MiB);
      expect((converted as InsufficientStorageError).cause).toBe(raw);

      // Full: every check refuses, reporting zero and the whole disk.
      const none = (await rejection(storage.ensureSpace(1))) as InsufficientStorageError;
      expect(none.availableBytes).toBe(0);
      expect(none.details.totalBytes).toBe(8 * MiB);
      expect(await rejection(storage.reserve(4 * KiB, { wait: false }))).toBeInstanceOf(InsufficientStorageError);
      // More than the disk could ever hold fails at once, even when willing to wait.
      const never = await rejection(storage.reserve(9 * MiB, { timeoutMs: 60_000 }));
      expect((never as Error).message).toContain('more than this disk can ever hold');
    } // the context removes the temp dir here: the space must come back

    const after = await freeBytes(fs.path);
    expect(after.available).toBe(empty.available);
    await storage.ensureSpace(6 * MiB);
  });

  it('cleanupDirectory frees a full disk and reports what it freed', async (ctx) => {
    if (!fs) return ctx.skip();
    const storage = new StorageManager({ path: fs.path });
    let written = 0;
    for (let i = 0; ; i++) {
      try {
        await writeFile(join(fs.path, `chunk-${i}`), Buffer.alloc(512 * KiB, 3));
        written += 512 * KiB;
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
        break;
      }
    }
    expect((await freeBytes(fs.path)).available).toBe(0);
    const result = await storage.cleanupDirectory(fs.path);
    // The chunk that failed half-way was left partly written; it is counted too.
    expect(result.bytesFreed).toBeGreaterThanOrEqual(written);
    expect(result.bytesFreed).toBeLessThanOrEqual(8 * MiB);
    expect((await freeBytes(fs.path)).available).toBe(8 * MiB);
  });
});
