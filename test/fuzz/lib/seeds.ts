// Seeds other than random trees: the hostile suite's kinds of archive (built here from raw
// records, so the fuzzer does not depend on another test's helpers) and decompression bombs.
// Mutating a hostile archive reaches the refusal paths with odd neighbours around them.
import { gzipSync } from 'node:zlib';
import yazl from 'yazl';
import { paxRecords, tarRecordBytes } from './layout/tar-layout.js';

const END = Buffer.alloc(1024);
const file = (name: string, body = 'x') => tarRecordBytes({ name, typeflag: '0' }, Buffer.from(body));
const dir = (name: string) => tarRecordBytes({ name, typeflag: '5', mode: 0o755 }, Buffer.alloc(0));
const link = (name: string, target: string, hard = false) => tarRecordBytes({ name, typeflag: hard ? '1' : '2', linkname: target, mode: 0o777 }, Buffer.alloc(0));
const pax = (records: Array<[string, string]>) => tarRecordBytes({ name: 'PaxHeaders/x', typeflag: 'x' }, paxRecords(records));
const longName = (name: string) => tarRecordBytes({ name: '././@LongLink', typeflag: 'L' }, Buffer.from(`${name}\0`));

/** Hostile tars: each one something the extractor must refuse (or confine), with an honest entry around it. */
export const HOSTILE_TARS: ReadonlyArray<{ name: string; bytes: Buffer }> = [
  ['traversal', [file('ok.txt'), file('../escape.txt')]],
  ['absolute', [file('/tmp/abs-escape.txt')]],
  ['symlink-escape', [link('out', '../../..'), file('ok.txt')]],
  ['symlink-then-write-through', [dir('a/'), link('a/l', '../..'), file('a/l/escape.txt')]],
  ['chained-symlinks', [link('a', '.'), link('a/b', '..'), link('a/b/c', '..'), file('a/b/c/escape.txt')]],
  ['directory-then-symlink', [dir('x/'), link('x', '/tmp'), file('x/escape.txt')]],
  ['hardlink-escape', [link('h', '/etc/passwd', true), file('ok.txt')]],
  ['hardlink-to-later', [link('h', 'later.txt', true), file('later.txt')]],
  ['pax-path-traversal', [pax([['path', '../pax-escape.txt']]), file('innocent.txt')]],
  ['gnu-longname-traversal', [longName(`${'a/'.repeat(60)}../../${'../'.repeat(70)}escape`), file('innocent.txt')]],
  ['device-and-fifo', [tarRecordBytes({ name: 'dev', typeflag: '3' }, Buffer.alloc(0)), tarRecordBytes({ name: 'fifo', typeflag: '6' }, Buffer.alloc(0))]],
  ['setuid', [tarRecordBytes({ name: 'suid', typeflag: '0', mode: 0o6777 }, Buffer.from('#!/bin/sh'))]],
  ['duplicate-names', [file('same.txt', 'one'), file('same.txt', 'two'), dir('same.txt/')]],
].map(([name, records]) => ({ name: name as string, bytes: Buffer.concat([...(records as Buffer[]), END]) }));

async function zipOf(add: (zip: yazl.ZipFile) => void): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Hostile zips. Names yazl refuses are written as a safe name of the same length and patched. */
export async function hostileZips(): Promise<Array<{ name: string; bytes: Buffer }>> {
  const patchName = (bytes: Buffer, from: string, to: string): Buffer => {
    const out = Buffer.from(bytes);
    for (let at = out.indexOf(from); at !== -1; at = out.indexOf(from, at + 1)) out.write(to, at, 'latin1');
    return out;
  };
  const symlink = (zip: yazl.ZipFile, name: string, target: string) => zip.addBuffer(Buffer.from(target), name, { mode: 0o120777, compress: false });
  return [
    { name: 'traversal', bytes: patchName(await zipOf((z) => z.addBuffer(Buffer.from('x'), 'XX/escape.txt')), 'XX/escape', '../escape') },
    { name: 'absolute', bytes: patchName(await zipOf((z) => z.addBuffer(Buffer.from('x'), 'Xtmp/abs.txt')), 'Xtmp/abs', '/tmp/abs') },
    { name: 'backslash', bytes: patchName(await zipOf((z) => z.addBuffer(Buffer.from('x'), 'aXXXXXb.txt')), 'aXXXXX', '..\\..\\') },
    { name: 'symlink-escape', bytes: await zipOf((z) => symlink(z, 'out', '../../..')) },
    { name: 'symlink-then-write-through', bytes: await zipOf((z) => (symlink(z, 'l', '..'), z.addBuffer(Buffer.from('x'), 'l/escape.txt'))) },
    { name: 'setuid-and-fifo', bytes: await zipOf((z) => (z.addBuffer(Buffer.from('x'), 'suid', { mode: 0o106777 }), z.addBuffer(Buffer.alloc(0), 'fifo', { mode: 0o010644 }))) },
    { name: 'deflated-many', bytes: await zipOf((z) => { for (let i = 0; i < 40; i++) z.addBuffer(Buffer.alloc(i * 100, i), `f${i}.bin`, { compress: true }); }) },
  ];
}

const bombCache = new Map<string, Buffer>();

/** A decompression bomb: one entry of `mib` MiB of zeros, as tar.gz or deflated zip (cached). */
export async function bomb(format: 'tgz' | 'zip', mib: number): Promise<Buffer> {
  const key = `${format}:${mib}`;
  const cached = bombCache.get(key);
  if (cached !== undefined) return cached;
  const zeros = Buffer.alloc(mib * 1024 * 1024);
  const bytes =
    format === 'tgz'
      ? gzipSync(Buffer.concat([tarRecordBytes({ name: 'zeros.bin', typeflag: '0' }, zeros), END]), { level: 9 })
      : await zipOf((z) => z.addBuffer(zeros, 'zeros.bin', { compress: true, compressionLevel: 9 }));
  bombCache.set(key, bytes);
  return bytes;
}
