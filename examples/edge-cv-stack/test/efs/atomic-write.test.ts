import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InsufficientStorageError } from 'storage-safe-archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTemporaryName, writeFileAtomically } from '../../src/efs/atomic-write.js';
import { createProducerHandler } from '../../src/ingest/producer-handler.js';
import { lambdaContext, toProxyEvent } from '../../src/local/proxy-event.js';
import { generatedStream } from '../support/generated-bytes.js';
import { mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-cv-atomic-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function failingAfter(bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(bytes, 1));
      } else this.destroy(new Error('connection reset'));
    },
  });
}

describe('writeFileAtomically', () => {
  it('publishes the whole file with its size and SHA-256', async () => {
    const written = await writeFileAtomically(join(dir, 'a/b/model.bin'), Buffer.from('hello'));
    expect(written).toEqual({ path: join(dir, 'a/b/model.bin'), bytes: 5, sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });
    expect(await readdir(join(dir, 'a/b'))).toEqual(['model.bin']);
  });

  it('leaves the previous file and no temporary file behind when the source fails', async () => {
    const target = join(dir, 'kept.bin');
    await writeFile(target, 'previous');
    await expect(writeFileAtomically(target, failingAfter(4096))).rejects.toThrow(/connection reset/);
    expect(await readFile(target, 'utf8')).toBe('previous');
    expect((await readdir(dir)).filter(isTemporaryName)).toEqual([]);
  });

  it('refuses a short source when the expected size is known', async () => {
    const target = join(dir, 'short.bin');
    await expect(writeFileAtomically(target, Buffer.alloc(10), { expectedBytes: 11 })).rejects.toThrow(/expected 11 bytes, got 10/);
    expect((await readdir(dir)).includes('short.bin')).toBe(false);
  });
});

describe('on a full disk (real tmpfs)', () => {
  let disk: Tmpfs | undefined;
  beforeAll(() => {
    const mounted = mountTmpfs(1024 * 1024);
    if ('skipReason' in mounted) console.warn(`skipping disk-full cases: ${mounted.skipReason}`);
    else disk = mounted;
  });
  afterAll(() => disk?.unmount());

  it('turns ENOSPC into InsufficientStorageError and removes the partial file', async (ctx) => {
    if (!disk) return ctx.skip();
    const error = await writeFileAtomically(join(disk.path, 'big.bin'), generatedStream(3 * 1024 * 1024)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientStorageError);
    expect((error as InsufficientStorageError).availableBytes).toBeLessThan(1024 * 1024);
    expect(await readdir(disk.path)).toEqual([]);
  });

  it('makes the producer answer 507 before writing a payload the mount cannot hold', async (ctx) => {
    if (!disk) return ctx.skip();
    const lines: string[] = [];
    const producer = createProducerHandler({ mountPath: disk.path, service: 'producer', write: (l) => void lines.push(l) });
    const body = JSON.stringify({ key: 'too/big.bin', data: Buffer.alloc(2 * 1024 * 1024).toString('base64') });
    const reply = (await producer(toProxyEvent({ method: 'POST', path: '/ingest', body }), lambdaContext('producer'))) as { statusCode: number; body: string };
    expect(reply.statusCode).toBe(507);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'INSUFFICIENT_STORAGE', stage: 'write' });
    expect(await readdir(join(disk.path, 'models'))).toEqual([]);
  });
});
