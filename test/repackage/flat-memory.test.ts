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
});
