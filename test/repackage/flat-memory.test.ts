// Memory does not grow with the number of entries. Not a timing test: a child process repackages
// 8,000 entries of 8 KiB (64 MiB of content) with a 32 MiB heap and reports the most buffer memory
// it held. A writer that kept each entry (or its buffer, or a closure over it) until the zip ends,
// as the yazl-based one did, holds far more than the content in buffers (each small entry pinned
// the larger chunk it was cut from) and, at 30,000 entries, runs out of heap; this one holds a
// few MiB whatever the count, and the zip is valid.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readZipEntryCount } from '../zip/read-zip.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'ssa-flat-memory-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MiB = 1024 * 1024;

describe('repackage memory with many entries', () => {
  it('repackages 8,000 entries within a 32 MiB heap, holding no entry after it is written', async () => {
    const out = join(work, 'many.zip');
    const child = join(import.meta.dirname, 'support/many-entries-child.ts');
    const { stdout } = await run(process.execPath, ['--max-old-space-size=32', '--import', 'tsx', child, out, '8000', '8192'], { maxBuffer: 1024 * 1024 });
    const measured = JSON.parse(stdout.trim().split('\n').pop()!) as { entries: number; bytesIn: number; peakHeap: number; peakBuffers: number; maxRss: number };
    expect(measured.entries).toBe(8_000);
    expect(measured.bytesIn).toBe(8_000 * 8192);
    // Buffers in flight stay within the writer's window and the readers' chunks, whatever the count.
    expect(measured.peakBuffers).toBeLessThan(32 * MiB);
    expect(await readZipEntryCount(out)).toBe(8_000);
  }, 180_000);

  // What kept 100,000 x 1 KiB over 128 MiB of RSS was not live memory but garbage that outlived
  // young collections: each entry's objects were promoted to the old generation (about 2.3 KB
  // an entry) and freed only by full collections, so the heap grew between them. Not a timing
  // test: V8's own trace (--trace-gc-nvp) says how many bytes each young collection promoted.
  it('promotes almost nothing per entry out of the young generation (20,000 entries of 1 KiB)', async () => {
    const child = join(import.meta.dirname, 'support/promotion-child.ts');
    const entries = 20_000;
    const { stdout } = await run(process.execPath, ['--trace-gc-nvp', '--import', 'tsx', child, join(work, 'tiny.tar.gz'), join(work, 'tiny.zip'), String(entries)], { maxBuffer: 64 * MiB });
    const lines = stdout.split('\n');
    const start = lines.findIndex((line) => line.includes('--- repackage starts ---'));
    expect(start).toBeGreaterThan(-1);
    const scavenges = lines.slice(start).filter((line) => /\bgc=s\b/.test(line));
    const promoted = scavenges.reduce((sum, line) => sum + Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? Number.NaN), 0);
    expect(JSON.parse(lines.filter(Boolean).pop()!)).toEqual({ entries });
    // Enough entries to fill the young generation many times over, so the trace is not empty.
    expect(scavenges.length).toBeGreaterThan(5);
    // Measured: about 9 bytes an entry; 2,320 with the object-literal getter and spreads that caused it.
    expect(promoted / entries).toBeLessThan(200);
  }, 180_000);
});
