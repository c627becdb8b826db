// `auto` compression: deflate a sample from the start of each entry and store the entry when
// deflate saves too little. Float32 weights barely compress (the low mantissa bits are noise)
// and deflating them costs most of a repackage's time; text and JSON compress well.
import { deflateSegment } from './segment-deflate.js';

/** How entries are compressed: `'auto'` decides per entry from a sample; `'deflate'` and `'store'` always. */
export type ZipCompression = 'auto' | 'deflate' | 'store';

/** Tuning of `'auto'` compression. */
export interface AutoCompressionOptions {
  /** Bytes from the start of an entry that are test-deflated. Default 64 KiB. */
  sampleBytes?: number;
  /** Deflate is used when it saves at least this fraction of the sample. Default 0.1. */
  minSavings?: number;
}

/** Bytes from the start of an entry that `'auto'` test-deflates, unless `sampleBytes` says otherwise. */
export const AUTO_SAMPLE_BYTES = 64 * 1024;

/** How an entry will be stored: 0 = store, 8 = deflate, or deflate and keep it only if it pays. */
export type MethodPlan = 0 | 8 | 'if-it-pays';

/**
 * Plans the method of an entry that starts with `head`; `wholeEntry` says `head` is all of it.
 * An empty entry is always stored. Under `'auto'`, an entry no larger than the sample is deflated
 * whole and kept deflated only if that pays (one deflate, no separate trial); a larger one is
 * decided from a trial deflate of its first `sampleBytes`.
 *
 * @example
 * ```ts
 * planMethod('auto', Buffer.from('{"a": 1}'.repeat(100)), 6, {}, true); // 'if-it-pays'
 * ```
 */
export function planMethod(choice: ZipCompression, head: Buffer, level: number, auto: AutoCompressionOptions = {}, wholeEntry = false): MethodPlan {
  if (head.length === 0 || choice === 'store') return 0;
  if (choice === 'deflate') return 8;
  const sampleBytes = auto.sampleBytes ?? AUTO_SAMPLE_BYTES;
  if (wholeEntry && head.length <= sampleBytes) return 'if-it-pays';
  const sample = head.subarray(0, sampleBytes);
  return deflatePays(deflateSegment({ data: sample, dictionary: undefined, final: true, level }).length, sample.length, auto) ? 8 : 0;
}

/**
 * True when `compressedBytes` saves at least `auto.minSavings` (default 10%) of `originalBytes`.
 *
 * @example
 * ```ts
 * deflatePays(80, 100, {}); // true
 * ```
 */
export function deflatePays(compressedBytes: number, originalBytes: number, auto: AutoCompressionOptions = {}): boolean {
  return compressedBytes <= originalBytes * (1 - (auto.minSavings ?? 0.1));
}
