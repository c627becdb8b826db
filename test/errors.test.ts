import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CleanupFailedError,
  CompressionError,
  ConfigurationError,
  ExtractionError,
  InsufficientStorageError,
  StorageError,
  isStorageError,
} from '../src/errors/index.js';
import { GiB, MiB, formatBytes } from '../src/units.js';

describe('InsufficientStorageError', () => {
  it('states the numbers in human units and one thing to try', () => {
    const error = new InsufficientStorageError({
      requiredBytes: 3.1 * GiB,
      availableBytes: 1.2 * GiB,
      totalBytes: 2 * GiB,
      path: '/tmp',
    });
    expect(error.message).toBe(
      "needs 3.1 GiB in /tmp but 1.2 GiB is free; raise the function's ephemeral storage to at least 4 GiB, " +
        'or stream with repackage() or entries() so no scratch disk is used',
    );
    expect(error.code).toBe('INSUFFICIENT_STORAGE');
    expect(error.requiredBytes).toBe(3.1 * GiB);
    expect(error.details).toMatchObject({ shortfallBytes: 3.1 * GiB - 1.2 * GiB, path: '/tmp', totalBytes: 2 * GiB });
  });

  it('names the operation and keeps the cause', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const error = new InsufficientStorageError({
      requiredBytes: 10 * MiB,
      availableBytes: 0,
      path: '/mnt/small',
      operation: 'extracting model.tar.gz',
      cause: enospc,
    });
    expect(error.message.startsWith('extracting model.tar.gz needs 10.0 MiB in /mnt/small but 0 B is free')).toBe(true);
    expect(error.cause).toBe(enospc);
    expect(error.toJSON()).toMatchObject({ cause: { code: 'ENOSPC' }, code: 'INSUFFICIENT_STORAGE' });
  });
});

describe('CleanupFailedError', () => {
  it('lists every path with its cause', () => {
    const eacces = Object.assign(new Error('denied'), { code: 'EACCES' });
    const ebusy = Object.assign(new Error('busy'), { code: 'EBUSY' });
    const error = new CleanupFailedError([
      { path: '/tmp/a', cause: eacces },
      { path: '/tmp/b', cause: ebusy },
    ]);
    expect(error.message).toContain('could not remove 2 paths: /tmp/a (EACCES), /tmp/b (EBUSY)');
    expect(error.failures.map((f) => f.path)).toEqual(['/tmp/a', '/tmp/b']);
    const json = error.toJSON() as { failures: { path: string; cause: { code: string } }[] };
    expect(json.failures[1]).toEqual({ path: '/tmp/b', cause: { name: 'Error', message: 'busy', code: 'EBUSY' } });
  });
});

describe('ExtractionError and CompressionError', () => {
  it('carry a reason, the entry, and a default suggestion', () => {
    const error = new ExtractionError('entry name leaves the destination', {
      reason: 'PATH_TRAVERSAL',
      entryPath: '../../etc/passwd',
    });
    expect(error.reason).toBe('PATH_TRAVERSAL');
    expect(error.entryPath).toBe('../../etc/passwd');
    expect(error.message).toContain('(entry "../../etc/passwd")');
    expect(error.suggestion).toMatch(/do not trust/);
    const compression = new CompressionError('output closed early', { reason: 'WRITE_FAILED', outputPath: '/x.zip' });
    expect(compression.details).toMatchObject({ reason: 'WRITE_FAILED', outputPath: '/x.zip' });
  });

  it('ConfigurationError names the setting and the rule', () => {
    const error = new ConfigurationError('STORAGE_WARNING_RATIO', 'must be a number between 0 and 1', '1.5');
    expect(error.message).toBe(
      'STORAGE_WARNING_RATIO must be a number between 0 and 1 (got "1.5"); ' +
        'set STORAGE_WARNING_RATIO to a valid value, or unset it to use the default',
    );
    expect(error.setting).toBe('STORAGE_WARNING_RATIO');
  });
});

describe('instanceof', () => {
  it('follows the class hierarchy', () => {
    const error = new InsufficientStorageError({ requiredBytes: 1, availableBytes: 0, path: '/' });
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toBeInstanceOf(InsufficientStorageError);
    expect(error).not.toBeInstanceOf(ExtractionError);
    expect(new Error('x')).not.toBeInstanceOf(StorageError);
    expect(isStorageError(error)).toBe(true);
    expect(isStorageError({ code: 'INSUFFICIENT_STORAGE' })).toBe(false);
  });

  it.skipIf(!existsSync('dist/index.cjs'))('holds between the CJS build, the ESM build and the source', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs') as typeof import('../src/errors/index.js');
    const esm = (await import('../dist/index.js')) as typeof import('../src/errors/index.js');
    expect(cjs.StorageError).not.toBe(esm.StorageError);
    const fromCjs = new cjs.ExtractionError('bad', { reason: 'CORRUPT' });
    expect(fromCjs).toBeInstanceOf(esm.ExtractionError);
    expect(fromCjs).toBeInstanceOf(esm.StorageError);
    expect(fromCjs).toBeInstanceOf(StorageError);
    expect(fromCjs).not.toBeInstanceOf(esm.CompressionError);
    expect(esm.isStorageError(fromCjs)).toBe(true);
    expect(new esm.InsufficientStorageError({ requiredBytes: 1, availableBytes: 0, path: '/' })).toBeInstanceOf(
      cjs.InsufficientStorageError,
    );
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1.5 * MiB, '1.5 MiB'],
    [3.1 * GiB, '3.1 GiB'],
  ])('%d -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
