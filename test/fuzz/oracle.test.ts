// The oracle must notice every broken promise, or a quiet campaign means nothing. Each test
// hands it operations that break exactly one promise (hang, raw error, leak, leftover,
// escape...) and checks that it is reported, and that well-behaved ones pass.
import { openSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupFailedError, ExtractionError, InsufficientStorageError } from '../../src/errors/index.js';
import type { ArchiveEntry } from '../../src/extract/types.js';
import { openEnvironment, startDeflateWorkers, type FuzzEnvironment } from './lib/environment.js';
import { isInside } from './lib/fs-checks.js';
import type { FuzzOperations } from './lib/operations.js';
import { judgeError, runCase, type CaseOptions, type OracleSettings, type ViolationKind } from './lib/oracle.js';

const SETTINGS: OracleSettings = { baseTimeoutMs: 300, msPerKiB: 0, rssBoundBytes: 256 * 1024 * 1024 };
const OPTIONS: CaseOptions = { format: 'tar', source: 'random-access', walkSeed: 7, tightLimits: false, pristine: false };
const BYTES = Buffer.alloc(1024);

function entry(path: string, body: Buffer, size = body.length): ArchiveEntry {
  const readable = Readable.from([body]);
  return { path, type: 'file', size, mode: 0o644, mtime: new Date(0), body: readable, skip: async () => void readable.resume() };
}

function fake(overrides: Partial<FuzzOperations>): FuzzOperations {
  return {
    getArchiveInfo: async () => ({ entryCount: 0 }),
    entries: async function* () {},
    extractStreaming: async (_input, destination) => {
      await mkdir(destination, { recursive: true });
      await writeFile(join(destination, 'file.txt'), 'content');
    },
    repackage: async (_input, output) => {
      await new Promise<void>((resolve) => output.end(Buffer.alloc(10), resolve));
      return { bytesOut: 10 };
    },
    ...overrides,
  };
}

let env: FuzzEnvironment;
beforeAll(async () => {
  await startDeflateWorkers();
  env = openEnvironment({ scratchBytes: 8 * 1024 * 1024 });
  if (env.skipReason) console.warn(`oracle tests run on a plain folder: ${env.skipReason}`);
});
afterAll(() => env.close());

async function kinds(ops: FuzzOperations, options: Partial<CaseOptions> = {}, settings: Partial<OracleSettings> = {}): Promise<ViolationKind[]> {
  const { violations } = await runCase(BYTES, { ...OPTIONS, ...options }, env, ops, { ...SETTINGS, ...settings });
  return [...new Set(violations.map((v) => v.kind))];
}

describe('the oracle', () => {
  it('passes well-behaved operations, successful or refusing with a documented error', async () => {
    expect(await kinds(fake({}))).toEqual([]);
    const refuse = async () => {
      throw new ExtractionError('bad header', { reason: 'CORRUPT' });
    };
    expect(await kinds(fake({ getArchiveInfo: refuse, extractStreaming: refuse, repackage: refuse }))).toEqual([]);
    expect(await kinds(fake({ extractStreaming: async () => Promise.reject(new InsufficientStorageError({ requiredBytes: 2, availableBytes: 1, path: '/x' })) }))).toEqual([]);
  });

  it('reports a call that never settles', async () => {
    expect(await kinds(fake({ getArchiveInfo: () => new Promise(() => {}) }))).toEqual(['hang']);
  });

  it('reports a raw error and an undocumented reason or class', async () => {
    expect(await kinds(fake({ getArchiveInfo: async () => Promise.reject(new TypeError('x is undefined')) }))).toEqual(['unexpected-error']);
    expect(await kinds(fake({ getArchiveInfo: async () => Promise.reject(new ExtractionError('x', { reason: 'MADE_UP' as never })) }))).toEqual(['undocumented-reason']);
    expect(await kinds(fake({ getArchiveInfo: async () => Promise.reject(new CleanupFailedError([{ path: '/x', cause: new Error('EBUSY') }])) }))).toEqual(['undocumented-reason']);
  });

  it('reports a valid archive refused, unless for a full disk or a tight limit', async () => {
    const corrupt = async () => Promise.reject(new ExtractionError('x', { reason: 'CORRUPT' }));
    expect(await kinds(fake({ getArchiveInfo: corrupt }), { pristine: true })).toEqual(['valid-archive-rejected']);
    const limit = async () => Promise.reject(new ExtractionError('x', { reason: 'LIMIT_EXCEEDED' }));
    expect(await kinds(fake({ getArchiveInfo: limit }), { pristine: true, tightLimits: true })).toEqual([]);
  });

  it('reports a leaked file descriptor', async () => {
    const leaked: number[] = [];
    expect(await kinds(fake({ getArchiveInfo: async () => void leaked.push(openSync('/proc/self/status', 'r')) }))).toEqual(['fd-leak']);
  });

  it('reports files left in TMPDIR', async () => {
    const litter = fake({
      repackage: async (_input, output) => {
        await writeFile(join(tmpdir(), 'scratch.zip'), 'x');
        output.end();
        return { bytesOut: 0 };
      },
    });
    expect(await kinds(litter)).toEqual(['leftover-tmpdir']);
  });

  it('reports what a rejected extraction leaves in the destination', async () => {
    const leaves = fake({
      extractStreaming: async (_input, destination) => {
        await mkdir(destination, { recursive: true });
        await writeFile(join(destination, 'half.bin'), 'x');
        throw new ExtractionError('bad', { reason: 'CORRUPT' });
      },
    });
    expect(await kinds(leaves, { walkSeed: 1 })).toEqual(['leftover-destination']);
    expect(await kinds(leaves, { walkSeed: 2 })).toEqual(['leftover-destination']);
  });

  it('reports writes beside the destination and links out of it', async () => {
    const beside = fake({ extractStreaming: async (_input, destination) => writeFile(join(dirname(destination), 'escape.txt'), 'x') });
    expect(await kinds(beside)).toEqual(['escape']);
    const linkOut = fake({
      extractStreaming: async (_input, destination) => {
        await mkdir(destination, { recursive: true });
        await symlink('../sentinel', join(destination, 'out'));
      },
    });
    expect(await kinds(linkOut)).toEqual(['escape']);
  });

  it('reports an unhandled rejection raised during a call', async () => {
    const sloppy = fake({
      getArchiveInfo: async () => {
        void Promise.reject(new Error('nobody listens'));
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    });
    expect(await kinds(sloppy)).toEqual(['unhandled-error']);
  });

  it('reports a body that yields other than its declared size without an error', async () => {
    const lying = fake({
      entries: async function* () {
        yield entry('short.bin', Buffer.alloc(10), 20);
      },
    });
    // walkSeed 0 reads the first body in full (mulberry32(0)() is 0.27: between 0.04 and 0.5).
    expect(await kinds(lying, { walkSeed: 0 })).toEqual(['unverified-body']);
  });

  it('reports a repackage result that disagrees with the bytes written', async () => {
    expect(await kinds(fake({ repackage: async (_i, output) => (output.end(), { bytesOut: 99 }) }))).toEqual(['result-mismatch']);
  });

  it('reports memory above the bound', async () => {
    const hog = fake({
      getArchiveInfo: async () => {
        const big = Buffer.alloc(96 * 1024 * 1024, 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return big.length;
      },
    });
    expect(await kinds(hog, {}, { rssBoundBytes: 32 * 1024 * 1024 })).toEqual(['memory']);
  });
});

describe('judgeError and isInside', () => {
  it('labels errors by class and reason', () => {
    expect(judgeError(new ExtractionError('x', { reason: 'CORRUPT' }))).toEqual({ label: 'ExtractionError:CORRUPT' });
    expect(judgeError(Object.assign(new Error('x'), { code: 'ENOSPC' })).label).toBe('Error:ENOSPC');
  });

  it('tells inside from outside, including names that merely start with ..', () => {
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b/..c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
  });
});
