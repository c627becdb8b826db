// Where each zip entry's bytes live, to refuse entries that share bytes: the overlapping-entry
// zip bomb (David Fifield, "A better zip bomb", 2019) points many central-directory records at
// one compressed kernel. A sound zip's local records are disjoint and end before the central
// directory starts.
import { ExtractionError } from '../../errors/index.js';

/** Size of a local file header before its name and extra field (APPNOTE 4.3.7). */
export const LOCAL_HEADER_FIXED_BYTES = 30;

/** One entry's byte range in the archive. */
export interface EntrySpan {
  /** Entry name, for messages. */
  name: string;
  /** Offset of the local file header. */
  start: number;
  /** First byte after its data (a lower bound until the local header is read). */
  end: number;
}

/**
 * Checks that no two spans overlap and none reaches into the central directory. Pure.
 *
 * @example
 * ```ts
 * assertDisjointSpans([{ name: 'a', start: 0, end: 40 }, { name: 'b', start: 30, end: 80 }], 100); // throws
 * ```
 */
export function assertDisjointSpans(spans: readonly EntrySpan[], centralDirectoryOffset: number): void {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  for (let i = 0; i < sorted.length; i++) {
    const span = sorted[i] as EntrySpan;
    const next = sorted[i + 1];
    const limit = next === undefined ? centralDirectoryOffset : next.start;
    if (span.end > limit) {
      const other = next === undefined ? 'the central directory' : `entry ${JSON.stringify(next.name)}`;
      throw new ExtractionError(`entry bytes [${span.start}, ${span.end}) overlap ${other} starting at ${limit}`, {
        reason: 'OVERLAPPING_ENTRIES',
        entryPath: span.name,
      });
    }
  }
}

/**
 * For each local-header offset, where the next record begins (the next entry's local header,
 * or the central directory): an entry's exact end must not pass it.
 */
export function nextRecordStarts(spans: readonly EntrySpan[], centralDirectoryOffset: number): Map<number, number> {
  const starts = [...new Set(spans.map((s) => s.start))].sort((a, b) => a - b);
  const next = new Map<number, number>();
  starts.forEach((start, i) => next.set(start, starts[i + 1] ?? centralDirectoryOffset));
  return next;
}
