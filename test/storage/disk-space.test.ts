import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InsufficientStorageError } from '../../src/errors/index.js';
import { isDiskFullError, readDiskSpace, toInsufficientStorageError } from '../../src/storage/disk-space.js';

describe('readDiskSpace', () => {
  it('reads statfs, and asks the nearest existing parent for a path not created yet', async () => {
    const raw = await statfs(tmpdir());
    const disk = await readDiskSpace(join(tmpdir(), 'not', 'created', 'yet'));
    expect(disk.totalBytes).toBe(Number(raw.blocks) * Number(raw.bsize));
    expect(disk.usedBytes + disk.availableBytes).toBeLessThanOrEqual(disk.totalBytes);
  });
});

describe('toInsufficientStorageError', () => {
  it('converts ENOSPC and EDQUOT and passes anything else through unchanged', async () => {
    const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    expect(isDiskFullError(enospc)).toBe(true);
    expect(isDiskFullError(Object.assign(new Error(), { code: 'EDQUOT' }))).toBe(true);
    expect(isDiskFullError(new Error('other'))).toBe(false);
    const converted = await toInsufficientStorageError(enospc, { path: tmpdir(), requiredBytes: 10 });
    expect(converted).toBeInstanceOf(InsufficientStorageError);
    // The disk filled, so what was needed was more than what was free.
    const e = converted as InsufficientStorageError;
    expect(e.requiredBytes).toBeGreaterThan(e.availableBytes);
    expect(e.cause).toBe(enospc);
    const other = new Error('EACCES');
    expect(await toInsufficientStorageError(other, { path: tmpdir() })).toBe(other);
  });
});
