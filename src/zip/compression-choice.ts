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

/** What {@link chooseMethod} decided. */
export interface MethodChoice {
  /** 0 = store, 8 = deflate. */
  method: 0 | 8;
  /**
   * The entry already deflated, when the trial compressed all of it (an entry no larger than the
   * sample): the same bytes a deflate of the whole entry gives, so it is not deflated twice.
   */
  deflated?: Buffer;
}

/**
 * Picks store or deflate for an entry that starts with `head`. `wholeEntry` says `head` is all of
 * it. An empty entry is always stored (there is nothing to save).
 *
 * @example
 * ```ts
 * chooseMethod('auto', Buffer.from('{"a": 1}'.repeat(100)), 6, {}, true); // { method: 8, deflated: <Buffer ...> }
 * ```
 */
export function chooseMethod(choice: ZipCompression, head: Buffer, level: number, auto: AutoCompressionOptions = {}, wholeEntry = false): MethodChoice {
  if (head.length === 0 || choice === 'store') return { method: 0 };
  if (choice === 'deflate') return { method: 8 };
  const sampleBytes = auto.sampleBytes ?? 64 * 1024;
  const minSavings = auto.minSavings ?? 0.1;
  const whole = wholeEntry && head.length <= sampleBytes;
  const sample = whole ? head : head.subarray(0, sampleBytes);
  const trial = deflateSegment({ data: sample, dictionary: undefined, final: true, level });
  if (trial.length > sample.length * (1 - minSavings)) return { method: 0 };
  return whole ? { method: 8, deflated: trial } : { method: 8 };
}
