import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLogger } from '../../src/observe/logger.js';
import { planPackaging } from '../../src/repackage/index.js';
import { GiB, MiB } from '../../src/units.js';

describe('planPackaging', () => {
  it.each([
    // [case, input, strategy, concurrency]
    ['files needed and everything fits', { estimate: { bytes: 1 * GiB, archiveBytes: 800 * MiB }, freeBytes: 10 * GiB, needFilesOnDisk: true }, 'extract-then-zip', 1],
    ['files needed but the disk is too small', { estimate: { bytes: 1 * GiB, archiveBytes: 800 * MiB }, freeBytes: 512 * MiB, needFilesOnDisk: true }, 'stream', 1],
    ['no files needed, zip to S3', { estimate: { bytes: 4 * GiB }, freeBytes: 512 * MiB, targets: 3 }, 'stream', 3],
    ['zips on disk, three do not fit at once', { estimate: { bytes: 1 * GiB }, freeBytes: 2.5 * GiB, targets: 3, outputOnDisk: true }, 'sequential-stream', 1],
    ['zips on disk, three fit', { estimate: { bytes: 1 * GiB }, freeBytes: 3.5 * GiB, targets: 3, outputOnDisk: true }, 'stream', 3],
  ] as const)('%s -> %s', (_case, input, strategy, concurrency) => {
    const plan = planPackaging(input);
    expect(plan).toMatchObject({ strategy, concurrency, fits: true });
    expect(plan.reason.length).toBeGreaterThan(20);
  });

  it('says so when even one streamed zip on disk does not fit', () => {
    const plan = planPackaging({ estimate: { bytes: 2 * GiB }, freeBytes: 1 * GiB, outputOnDisk: true, targets: 2 });
    expect(plan).toMatchObject({ strategy: 'sequential-stream', fits: false });
    expect(plan.reason).toContain('S3');
  });

  it('logs the choice with its numbers', () => {
    const lines: string[] = [];
    planPackaging({ estimate: { bytes: GiB }, freeBytes: 512 * MiB, logger: new JsonLogger({ write: (line) => lines.push(line) }) });
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'packaging strategy chosen', strategy: 'stream', freeBytes: 512 * MiB });
  });

  it('never plans a peak above the free space when it says it fits (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          bytes: fc.integer({ min: 0, max: 64 * GiB }),
          archiveBytes: fc.integer({ min: 0, max: 64 * GiB }),
          freeBytes: fc.integer({ min: 0, max: 64 * GiB }),
          targets: fc.integer({ min: 1, max: 8 }),
          needFilesOnDisk: fc.boolean(),
          outputOnDisk: fc.boolean(),
        }),
        ({ bytes, archiveBytes, ...rest }) => {
          const plan = planPackaging({ estimate: { bytes, archiveBytes }, ...rest });
          if (plan.fits) expect(plan.peakDiskBytes).toBeLessThanOrEqual(rest.freeBytes);
          if (plan.strategy === 'extract-then-zip') expect(rest.needFilesOnDisk).toBe(true);
          if (!rest.outputOnDisk && plan.strategy !== 'extract-then-zip') expect(plan.peakDiskBytes).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
