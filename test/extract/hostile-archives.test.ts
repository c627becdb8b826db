// The hostile-archive suite: each case is named after what the attack does, builds its own
// archive, and must fail with the typed error and reason, leave the sentinel folder beside the
// destination byte-identical, and leave nothing from the failed call in the destination (a
// file that was there before stays, untouched).
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractionError, type ExtractionReason } from '../../src/errors/index.js';
import { StreamingExtractor, type ExtractionLimits, type LinkPolicy } from '../../src/extract/index.js';
import { MiB } from '../../src/units.js';
import { repackage } from '../../src/repackage/index.js';
import { buildTar, buildTarGz, buildZip, paxBody, rawTar, tarHeaderBlock, tarRecord, type TestEntry } from './support/build-archives.js';
import { rawZip, unicodePathExtra } from './support/raw-zip.js';
import { sha256, snapshotTree } from './support/tree.js';

interface Context {
  /** Absolute path of the sentinel folder beside the destination. */
  sentinel: string;
}

interface HostileCase {
  name: string;
  format: 'tar' | 'tar.gz' | 'zip';
  build(context: Context): Buffer | Promise<Buffer>;
  reason: ExtractionReason;
  limits?: Partial<ExtractionLimits>;
  links?: LinkPolicy;
}

const tar = (entries: TestEntry[]) => buildTar(entries);
const file = (name: string, body = 'pwned'): TestEntry => ({ name, body });

const CASES: HostileCase[] = [
  // ---- traversal in every spelling ----
  { name: 'dot-dot-climbs-out', format: 'tar', build: () => tar([file('../sentinel/pwned')]), reason: 'PATH_TRAVERSAL' },
  { name: 'nested-dot-dot-climbs-out', format: 'tar', build: () => tar([file('ok/'), file('ok/../../sentinel/pwned')]), reason: 'PATH_TRAVERSAL' },
  { name: 'backslash-dot-dot-climbs-out', format: 'tar', build: () => rawTar(tarRecord({ name: '..\\sentinel\\pwned' }, 'x')), reason: 'PATH_TRAVERSAL' },
  { name: 'ustar-prefix-climbs-out', format: 'tar', build: () => rawTar(tarRecord({ name: 'pwned', prefix: '../sentinel' }, 'x')), reason: 'PATH_TRAVERSAL' },
  { name: 'absolute-path-writes-sentinel', format: 'tar', build: (c) => rawTar(tarRecord({ name: `${c.sentinel}/pwned`.slice(0, 99) }, 'x')), reason: 'ABSOLUTE_PATH' },
  { name: 'drive-letter-path', format: 'tar', build: () => rawTar(tarRecord({ name: 'C:\\Windows\\pwned' }, 'x')), reason: 'ABSOLUTE_PATH' },
  { name: 'unc-path', format: 'tar', build: () => rawTar(tarRecord({ name: '\\\\server\\share\\pwned' }, 'x')), reason: 'ABSOLUTE_PATH' },
  // ---- names hidden in metadata headers (checked after they are applied) ----
  {
    name: 'pax-path-hides-traversal',
    format: 'tar',
    build: () => rawTar(tarRecord({ name: 'PaxHeader', typeflag: 'x' }, paxBody({ path: '../sentinel/pwned' })), tarRecord({ name: 'innocent.txt' }, 'x')),
    reason: 'PATH_TRAVERSAL',
  },
  {
    name: 'gnu-long-name-hides-traversal',
    format: 'tar',
    build: () => rawTar(tarRecord({ name: '././@LongLink', typeflag: 'L' }, '../../sentinel/pwned\0'), tarRecord({ name: 'innocent.txt' }, 'x')),
    reason: 'PATH_TRAVERSAL',
  },
  {
    name: 'pax-linkpath-hides-absolute-symlink',
    format: 'tar',
    build: (c) => rawTar(tarRecord({ name: 'PaxHeader', typeflag: 'x' }, paxBody({ linkpath: c.sentinel })), tarRecord({ name: 'l', typeflag: '2', linkname: 'innocent' })),
    reason: 'LINK_ESCAPE',
  },
  { name: 'pax-path-with-nul', format: 'tar', build: () => rawTar(tarRecord({ name: 'PaxHeader', typeflag: 'x' }, paxBody({ path: 'a\0b' })), tarRecord({ name: 'x' }, 'x')), reason: 'INVALID_NAME' },
  {
    name: 'pax-header-over-one-mib',
    format: 'tar',
    build: () => rawTar(tarRecord({ name: 'PaxHeader', typeflag: 'x' }, paxBody({ comment: 'x'.repeat(MiB + 10) })), tarRecord({ name: 'x' }, 'x')),
    reason: 'LIMIT_EXCEEDED',
  },
  // ---- link escapes (node-tar GHSA-r628-mhmh-qjhw / CVE-2021-32803, GHSA-9r2w-394v-53qc / CVE-2021-37701, CVE-2021-37712) ----
  { name: 'symlink-to-absolute-sentinel', format: 'tar', build: (c) => tar([{ name: 'l', type: 'symlink', linkname: c.sentinel }]), reason: 'LINK_ESCAPE' },
  { name: 'symlink-climbs-out', format: 'tar', build: () => tar([{ name: 'a/l', type: 'symlink', linkname: '../../sentinel' }]), reason: 'LINK_ESCAPE' },
  {
    name: 'chained-symlinks-climb-out',
    format: 'tar',
    // Each link alone stays inside; following l1 then l2 would leave. l2 is written through l1.
    build: () => tar([{ name: 'x/', type: 'directory' }, { name: 'x/l1', type: 'symlink', linkname: '..' }, { name: 'x/l1/l2', type: 'symlink', linkname: '../sentinel' }]),
    reason: 'LINK_ESCAPE',
  },
  {
    name: 'directory-then-symlink-same-name',
    format: 'tar',
    build: (c) => tar([{ name: 'd/', type: 'directory' }, file('d/ok', 'ok'), { name: 'd', type: 'symlink', linkname: c.sentinel }, file('d/pwned')]),
    reason: 'LINK_ESCAPE',
  },
  {
    name: 'directory-replaced-by-inside-symlink',
    format: 'tar',
    build: () => tar([{ name: 'd/', type: 'directory' }, file('d/ok', 'ok'), { name: 'd', type: 'symlink', linkname: 'elsewhere' }]),
    reason: 'DUPLICATE_ENTRY',
  },
  {
    name: 'symlink-then-write-through',
    format: 'tar',
    build: () => tar([{ name: 'sub/', type: 'directory' }, { name: 'l', type: 'symlink', linkname: 'sub' }, file('l/pwned')]),
    reason: 'LINK_ESCAPE',
  },
  { name: 'hardlink-to-absolute-sentinel-file', format: 'tar', build: (c) => tar([{ name: 'h', type: 'link', linkname: `${c.sentinel}/secret.txt` }]), reason: 'LINK_ESCAPE' },
  { name: 'hardlink-climbs-out', format: 'tar', build: () => tar([{ name: 'h', type: 'link', linkname: '../sentinel/secret.txt' }]), reason: 'LINK_ESCAPE' },
  { name: 'hardlink-to-preexisting-file', format: 'tar', build: () => tar([{ name: 'h', type: 'link', linkname: 'preexisting.txt' }]), reason: 'LINK_ESCAPE' },
  {
    name: 'hardlink-through-symlink',
    format: 'tar',
    build: () => tar([{ name: 'l', type: 'symlink', linkname: 'sub' }, { name: 'h', type: 'link', linkname: 'l' }]),
    reason: 'LINK_ESCAPE',
  },
  { name: 'links-refused-when-asked', format: 'tar', build: () => tar([file('a', 'a'), { name: 'l', type: 'symlink', linkname: 'a' }]), reason: 'LINK_REJECTED', links: 'reject' },
  { name: 'overwrite-preexisting-file', format: 'tar', build: () => tar([file('new.txt', 'new'), file('preexisting.txt')]), reason: 'DESTINATION_EXISTS' },
  // ---- entry types we never create ----
  { name: 'character-device', format: 'tar', build: () => rawTar(tarRecord({ name: 'null', typeflag: '3' })), reason: 'UNSUPPORTED_ENTRY_TYPE' },
  { name: 'block-device', format: 'tar', build: () => rawTar(tarRecord({ name: 'sda', typeflag: '4' })), reason: 'UNSUPPORTED_ENTRY_TYPE' },
  { name: 'fifo', format: 'tar', build: () => rawTar(tarRecord({ name: 'pipe', typeflag: '6' })), reason: 'UNSUPPORTED_ENTRY_TYPE' },
  // ---- corrupt and truncated tars ----
  { name: 'bad-header-checksum', format: 'tar', build: () => rawTar(tarRecord({ name: 'a.txt', badChecksum: true }, 'x')), reason: 'CORRUPT' },
  { name: 'non-numeric-size', format: 'tar', build: () => rawTar(tarHeaderBlock({ name: 'a.txt', rawSize: '0000000012x\0' })), reason: 'CORRUPT' },
  { name: 'negative-base256-size', format: 'tar', build: () => rawTar(tarHeaderBlock({ name: 'a.txt', rawSize: '\xff'.repeat(12) })), reason: 'CORRUPT' },
  { name: 'directory-header-with-size', format: 'tar', build: () => rawTar(tarRecord({ name: 'd/', typeflag: '5' }, 'hidden payload')), reason: 'CORRUPT' },
  { name: 'truncated-inside-body', format: 'tar', build: async () => (await tar([file('a.txt', 'x'.repeat(5000))])).subarray(0, 2048), reason: 'CORRUPT' },
  { name: 'missing-end-of-archive', format: 'tar', build: () => tarRecord({ name: 'a.txt' }, 'x'), reason: 'CORRUPT' },
  // ---- limits ----
  { name: 'entry-count-bomb', format: 'tar.gz', build: () => buildTarGz(Array.from({ length: 60 }, (_, i) => file(`f${i}`, ''))), reason: 'LIMIT_EXCEEDED', limits: { maxEntries: 50 } },
  { name: 'deep-path', format: 'tar', build: () => tar([file(`${'d/'.repeat(1100)}x`)]), reason: 'LIMIT_EXCEEDED' },
  { name: 'overlong-segment', format: 'tar', build: () => tar([file(`${'s'.repeat(300)}`)]), reason: 'INVALID_NAME' },
  { name: 'gzip-bomb-ratio', format: 'tar.gz', build: () => buildTarGz([file('zeros.bin', '\0'.repeat(24 * MiB))]), reason: 'LIMIT_EXCEEDED' },
  { name: 'total-bytes-over-limit', format: 'tar.gz', build: () => buildTarGz([file('a', 'x'.repeat(4096)), file('b', 'y'.repeat(4096))]), reason: 'LIMIT_EXCEEDED', limits: { maxTotalBytes: 5000 } },
  // ---- tar.gz ----
  { name: 'gzip-traversal', format: 'tar.gz', build: () => buildTarGz([file('ok.txt', 'ok'), file('../sentinel/pwned')]), reason: 'PATH_TRAVERSAL' },
  {
    name: 'second-gzip-member-hides-traversal',
    format: 'tar.gz',
    build: async () => {
      const whole = await tar([file('ok.txt', 'ok'), file('../sentinel/pwned')]);
      return Buffer.concat([gzipSync(whole.subarray(0, 1024)), gzipSync(whole.subarray(1024))]);
    },
    reason: 'PATH_TRAVERSAL',
  },
  { name: 'truncated-gzip', format: 'tar.gz', build: async () => { const gz = await buildTarGz([file('a.bin', 'z'.repeat(20000))]); return gz.subarray(0, gz.length - 12); }, reason: 'CORRUPT' },
  // ---- zip ----
  { name: 'zip-dot-dot-climbs-out', format: 'zip', build: () => rawZip([{ name: 'ok.txt', data: 'ok' }, { name: '../sentinel/pwned', data: 'x' }]), reason: 'PATH_TRAVERSAL' },
  { name: 'zip-backslash-climbs-out', format: 'zip', build: () => rawZip([{ name: '..\\sentinel\\pwned', data: 'x' }]), reason: 'PATH_TRAVERSAL' },
  { name: 'zip-absolute-path', format: 'zip', build: (c) => rawZip([{ name: `${c.sentinel}/pwned`, data: 'x' }]), reason: 'ABSOLUTE_PATH' },
  { name: 'zip-unicode-path-field-hides-traversal', format: 'zip', build: () => rawZip([{ name: 'innocent.txt', extra: unicodePathExtra('innocent.txt', '../sentinel/pwned'), data: 'x' }]), reason: 'PATH_TRAVERSAL' },
  { name: 'zip-local-name-differs-from-central', format: 'zip', build: () => rawZip([{ name: 'innocent.txt', localName: 'evil-name.sh', data: 'x' }]), reason: 'CORRUPT' },
  {
    name: 'zip-overlapping-entries-bomb',
    format: 'zip',
    build: () => rawZip([{ name: 'kernel', data: 'k'.repeat(1000), deflate: true }, { name: 'copy-1', data: 'k'.repeat(1000), deflate: true, localHeaderOf: 0 }]),
    reason: 'OVERLAPPING_ENTRIES',
  },
  { name: 'zip-bad-crc', format: 'zip', build: () => rawZip([{ name: 'a.bin', data: 'payload'.repeat(100), deflate: true, crc: 0xdeadbeef }]), reason: 'CHECKSUM_MISMATCH' },
  { name: 'zip-declared-size-too-small', format: 'zip', build: () => rawZip([{ name: 'a.bin', data: 'payload'.repeat(100), deflate: true, uncompressedSize: 10 }]), reason: 'SIZE_MISMATCH' },
  { name: 'zip-declared-size-too-large', format: 'zip', build: () => rawZip([{ name: 'a.bin', data: 'payload'.repeat(100), deflate: true, uncompressedSize: 100_000 }]), reason: 'SIZE_MISMATCH' },
  { name: 'zip-symlink-climbs-out', format: 'zip', build: () => buildZip([file('ok', 'ok'), { name: 'l', type: 'symlink', linkname: '../sentinel' }]), reason: 'LINK_ESCAPE' },
  { name: 'zip-device-entry', format: 'zip', build: () => rawZip([{ name: 'null', mode: 0o020644 }]), reason: 'UNSUPPORTED_ENTRY_TYPE' },
  { name: 'zip-deflate-bomb-ratio', format: 'zip', build: () => rawZip([{ name: 'zeros', data: Buffer.alloc(24 * MiB), deflate: true }]), reason: 'LIMIT_EXCEEDED' },
  { name: 'zip-truncated-central-directory', format: 'zip', build: async () => { const z = await buildZip([file('a', 'a'), file('b', 'b')]); return Buffer.concat([z.subarray(0, z.length - 40), z.subarray(z.length - 22)]); }, reason: 'CORRUPT' },
  { name: 'zip-entry-count-bomb', format: 'zip', build: () => buildZip(Array.from({ length: 30 }, (_, i) => file(`f${i}`, ''))), reason: 'LIMIT_EXCEEDED', limits: { maxEntries: 20 } },
];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssa-hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hostile archives', () => {
  it('has at least 30 cases across tar, tar.gz and zip', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.format))).toEqual(new Set(['tar', 'tar.gz', 'zip']));
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, hostile) => {
    const caseDir = join(root, name);
    const sentinel = join(caseDir, 'sentinel');
    const dest = join(caseDir, 'dest');
    await mkdir(sentinel, { recursive: true });
    await writeFile(join(sentinel, 'secret.txt'), 'do not touch');
    await mkdir(dest);
    await writeFile(join(dest, 'preexisting.txt'), 'was here before');
    const archivePath = join(caseDir, `archive.${hostile.format}`);
    await writeFile(archivePath, await hostile.build({ sentinel }));
    const sentinelBefore = await snapshotTree(sentinel);
    const destBefore = await snapshotTree(dest);

    const extractor = new StreamingExtractor({ ...(hostile.limits ? { limits: hostile.limits } : {}), ...(hostile.links ? { links: hostile.links } : {}) });
    const error = await extractor.extractStreaming(archivePath, dest).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, `${name} should have been refused`).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason).toBe(hostile.reason);
    expect(await snapshotTree(sentinel)).toEqual(sentinelBefore);
    expect(await snapshotTree(dest)).toEqual(destBefore);
    expect((await readdir(caseDir)).sort()).toEqual([`archive.${hostile.format}`, 'dest', 'sentinel']);
    expect(destBefore['preexisting.txt']?.content).toBe(sha256('was here before'));
  });

  // repackage reads small zip entries whole (one range read, one synchronous inflate) rather than
  // through a stream: the same hostile archives get the same refusals, and no output is left.
  it.each(CASES.filter((c) => c.format === 'zip').map((c) => [c.name, c] as const))('%s, repackaged', async (name, hostile) => {
    const caseDir = join(root, `${name}-repackaged`);
    await mkdir(caseDir, { recursive: true });
    const archivePath = join(caseDir, `archive.${hostile.format}`);
    await writeFile(archivePath, await hostile.build({ sentinel: join(caseDir, 'sentinel') }));
    const error = await repackage({ source: archivePath, output: join(caseDir, 'out.zip'), ...(hostile.limits ? { limits: hostile.limits } : {}) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, `${name} should have been refused`).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason, (error as Error).message).toBe(hostile.reason);
    expect(await readdir(caseDir)).toEqual([`archive.${hostile.format}`]);
  });

  it('parent-swapped-for-symlink-mid-extraction: refuses, and the rollback does not follow the swapped link', async () => {
    // The "attacker" here is the cleanup callback: after the first file it replaces the folder
    // we created with a link to the sentinel, as a racing local process could.
    const caseDir = join(root, 'parent-swap');
    const sentinel = join(caseDir, 'sentinel');
    const dest = join(caseDir, 'dest');
    await mkdir(sentinel, { recursive: true });
    await writeFile(join(sentinel, 'first.txt'), 'sentinel copy, must survive the rollback');
    const archivePath = join(caseDir, 'archive.tar');
    await writeFile(archivePath, await tar([file('sub/first.txt', 'one'), file('sub/second.txt', 'two')]));
    const sentinelBefore = await snapshotTree(sentinel);
    const error = await new StreamingExtractor()
      .extractStreaming(archivePath, dest, {
        cleanupCallback: async () => {
          await rm(join(dest, 'sub'), { recursive: true });
          await symlink(sentinel, join(dest, 'sub'));
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason).toBe('LINK_ESCAPE');
    expect(await snapshotTree(sentinel)).toEqual(sentinelBefore);
  });

  it('link-planted-at-the-next-name: a link put where the next file goes is refused, not followed', async () => {
    const caseDir = join(root, 'planted-link');
    const sentinel = join(caseDir, 'sentinel');
    const dest = join(caseDir, 'dest');
    await mkdir(sentinel, { recursive: true });
    await writeFile(join(sentinel, 'secret.txt'), 'do not touch');
    const archivePath = join(caseDir, 'archive.tar');
    await writeFile(archivePath, await tar([file('first.txt', 'one'), file('victim.txt', 'PWNED')]));
    const error = await new StreamingExtractor()
      .extractStreaming(archivePath, dest, { cleanupCallback: () => symlink(join(sentinel, 'secret.txt'), join(dest, 'victim.txt')) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    expect(['DUPLICATE_ENTRY', 'DESTINATION_EXISTS', 'LINK_ESCAPE']).toContain((error as ExtractionError).reason);
    expect(await readFile(join(sentinel, 'secret.txt'), 'utf8')).toBe('do not touch');
  });

  it('clears setuid, setgid and sticky bits instead of refusing', async () => {
    const dest = join(root, 'setuid-out');
    const archivePath = join(root, 'setuid.tar');
    await writeFile(archivePath, await tar([{ name: 'tool', body: '#!/bin/sh', mode: 0o6777 }, { name: 'shared/', type: 'directory', mode: 0o1777 }]));
    await new StreamingExtractor().extractStreaming(archivePath, dest);
    const snapshot = await snapshotTree(dest);
    expect(snapshot.tool?.mode).toBe(0o755);
    expect(snapshot.shared?.mode).toBe(0o755);
  });
});
