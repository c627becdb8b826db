import { ExtractionError } from '../../errors/index.js';
import { MiB } from '../../units.js';

/**
 * The ceilings an extraction enforces. Every one has a safe default ({@link DEFAULT_LIMITS})
 * and can be raised per call for archives you trust.
 */
export interface ExtractionLimits {
  /** Most entries in one archive (files, folders, links). */
  maxEntries: number;
  /** Most path segments in one entry name. */
  maxDepth: number;
  /** Longest entry name, in UTF-8 bytes, after long-name headers are applied. */
  maxPathBytes: number;
  /** Longest single path segment, in UTF-8 bytes (most file systems stop at 255). */
  maxSegmentBytes: number;
  /** Largest metadata record (a PAX header, a GNU long name, a zip symlink target). */
  maxMetadataBytes: number;
  /** Most uncompressed bytes per compressed byte read, over the whole archive. */
  maxCompressionRatio: number;
  /**
   * Most uncompressed bytes in all. `'free-space'` (the default) means the free space of the
   * destination's disk, asked before and during extraction; `entries()` has no disk, so there
   * it means no ceiling beyond the ratio.
   */
  maxTotalBytes: number | 'free-space';
}

/**
 * The defaults, as data: read them, print them, or spread them into your own limits.
 *
 * @example
 * ```ts
 * new StreamingExtractor({ limits: { ...DEFAULT_LIMITS, maxEntries: 1_000_000 } });
 * ```
 */
export const DEFAULT_LIMITS: Readonly<ExtractionLimits> = Object.freeze({
  maxEntries: 100_000,
  maxDepth: 1_024,
  maxPathBytes: 4_096,
  maxSegmentBytes: 255,
  maxMetadataBytes: 1 * MiB,
  maxCompressionRatio: 1_000,
  maxTotalBytes: 'free-space',
});

/**
 * The ratio is only judged once this many uncompressed bytes have been produced: a few KiB of
 * zeros legitimately compress 1,000:1, and a bomb is only a bomb when it is big.
 */
export const RATIO_GRACE_BYTES = 1 * MiB;

/**
 * Merges partial limits over the defaults and rejects nonsense (negative, NaN).
 *
 * @example
 * ```ts
 * resolveLimits({ maxEntries: 10 }).maxDepth; // 1024
 * ```
 */
export function resolveLimits(partial: Partial<ExtractionLimits> | undefined): ExtractionLimits {
  const limits: ExtractionLimits = { ...DEFAULT_LIMITS, ...(partial ?? {}) };
  for (const [key, value] of Object.entries(limits)) {
    if (value === 'free-space') continue;
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new RangeError(`limits.${key} must be a number >= 0 (got ${String(value)})`);
    }
  }
  return limits;
}

/**
 * Throws `LIMIT_EXCEEDED` naming the limit, the value reached and how to raise it.
 *
 * @example
 * ```ts
 * assertWithinLimit('maxEntries', count, limits.maxEntries, entryName);
 * ```
 */
export function assertWithinLimit(name: keyof ExtractionLimits, value: number, limit: number, entryPath?: string): void {
  if (value <= limit) return;
  throw new ExtractionError(`${name} exceeded: ${value} > ${limit}`, {
    reason: 'LIMIT_EXCEEDED',
    ...(entryPath === undefined ? {} : { entryPath }),
    suggestion: `raise limits.${name} above ${value} if the archive is trusted`,
    details: { limit: name, value, max: limit },
  });
}

/**
 * Checks the overall decompression ratio (uncompressed / compressed bytes read so far).
 *
 * @example
 * ```ts
 * assertRatio(produced, consumed, limits.maxCompressionRatio);
 * ```
 */
export function assertRatio(uncompressedBytes: number, compressedBytes: number, maxRatio: number, entryPath?: string): void {
  if (uncompressedBytes < RATIO_GRACE_BYTES) return;
  const ratio = uncompressedBytes / Math.max(1, compressedBytes);
  if (ratio <= maxRatio) return;
  throw new ExtractionError(
    `compression ratio ${ratio.toFixed(0)}:1 exceeds ${maxRatio}:1 (${uncompressedBytes} bytes out of ${compressedBytes})`,
    {
      reason: 'LIMIT_EXCEEDED',
      ...(entryPath === undefined ? {} : { entryPath }),
      suggestion: `this looks like a decompression bomb; raise limits.maxCompressionRatio only if the archive is trusted`,
      details: { limit: 'maxCompressionRatio', uncompressedBytes, compressedBytes, max: maxRatio },
    },
  );
}
