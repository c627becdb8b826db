import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { IncrementalZipper } from '../../src/zip/index.js';
import { readZip } from './read-zip.js';

const work = mkdtempSync(join(tmpdir(), 'ssa-governor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A source that trickles, so the 100 ms memory watch sees it mid-entry. */
function trickle(data: Buffer, chunk = 64 * 1024, delayMs = 5): Readable {
  let offset = 0;
  return new Readable({
    read() {
      setTimeout(() => this.push(offset >= data.length ? null : data.subarray(offset, (offset += chunk))), delayMs);
    },
  });
}

describe('memory watch (seed property 8)', () => {
  it('above the soft limit, pauses intake until the output drains, and the zip is still right', async () => {
    const out = join(work, 'paused.zip');
    const data = randomBytes(3 * 1024 * 1024);
    let rss = 50 * 1024 * 1024;
    const zipper = new IncrementalZipper(out, { memory: { softLimitBytes: 100 * 1024 * 1024, readRss: () => rss } });
    await zipper.addBuffer('first', 'first.txt');
    rss = 200 * 1024 * 1024; // over the limit from now on
    await zipper.addStream(trickle(data), 'big.bin');
    await zipper.addBuffer('last', 'last.txt');
    const result = await zipper.finalize();
    expect(result.memoryPauses).toBeGreaterThan(1);
    expect(result.peakRssBytes).toBe(200 * 1024 * 1024);
    const { entries } = await readZip(out);
    expect(entries.map((e) => e.name)).toEqual(['first.txt', 'big.bin', 'last.txt']);
    expect(entries[1]!.data.equals(data)).toBe(true);
  });

  it('below the soft limit, never pauses', async () => {
    const zipper = new IncrementalZipper(join(work, 'calm.zip'), { memory: { softLimitBytes: 100 * 1024 * 1024, readRss: () => 10 * 1024 * 1024 } });
    await zipper.addStream(trickle(randomBytes(1024 * 1024)), 'a.bin');
    expect((await zipper.finalize()).memoryPauses).toBe(0);
  });
});
