// A tar.gz on disk is read in pieces that grow with what has been read: small at first, so a bomb
// at the start is judged by the ratio check after little input; up to 1 MiB later, because zlib's
// cost is per write (64 KiB reads made a 1 GiB gunzip about 1.35x slower, docs/performance.md).
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ExtractionError } from '../../src/errors/index.js';
import { StreamingExtractor } from '../../src/extract/index.js';
import { readAheadBytes } from '../../src/extract/sources/gunzip.js';
import { MiB } from '../../src/units.js';
import { buildTar } from './support/build-archives.js';

const work = mkdtempSync(join(tmpdir(), 'ssa-read-ahead-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('read-ahead of a tar.gz file', () => {
  it('never reads ahead more than a sixteenth of what was read, beyond the first 64 KiB, and never more than 1 MiB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (consumed) => {
        const next = readAheadBytes(consumed);
        expect(next).toBeGreaterThanOrEqual(64 * 1024);
        expect(next).toBeLessThanOrEqual(MiB);
        expect(next).toBeLessThanOrEqual(Math.max(64 * 1024, consumed / 16));
        // Monotonic: reads only grow.
        expect(readAheadBytes(consumed + 4096)).toBeGreaterThanOrEqual(next);
      }),
      { numRuns: 200 },
    );
  });

  it('still catches a bomb that starts after 40 MiB of ordinary data, where reads are 1 MiB', async () => {
    // 40 MiB of noise-like bytes (gzip cannot shrink them), then 200 MiB of zeros.
    const noise = Buffer.alloc(40 * MiB);
    for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
    const tar = await buildTar([
      { name: 'noise.bin', body: noise },
      { name: 'zeros.bin', body: Buffer.alloc(200 * MiB) },
    ]);
    const path = join(work, 'late-bomb.tar.gz');
    writeFileSync(path, gzipSync(tar, { level: 1 }));
    // The overall ratio at the end is about 6:1; a limit of 3 trips once the zeros have outweighed the noise.
    const error = await new StreamingExtractor({ limits: { maxCompressionRatio: 3 } })
      .extractStreaming(path, join(work, 'out'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractionError);
    expect((error as ExtractionError).reason).toBe('LIMIT_EXCEEDED');
  }, 60_000);
});
