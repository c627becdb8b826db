// Where each zip entry's bytes live, to refuse entries that share bytes: the overlapping-entry
// zip bomb (David Fifield, "A better zip bomb", 2019) points many central-directory records at
// one compressed kernel. A sound zip's local records are disjoint and end before the central
// directory starts.
import { ExtractionError } from '../../errors/index.js';

/**
 * Checks that no two records' bytes overlap and none reaches into the central directory, and
 * returns, for each record, where the next one begins (an entry's exact end, known once its
 * local header is read, must not pass it). `starts[i]` is record i's local header offset,
 * `ends[i]` the first byte after its data (a lower bound until the local header is read). Pure.
 *
 * @example
 * ```ts
 * checkLayout([0, 30], [40, 80], 100, (i) => `entry ${i}`); // throws OVERLAPPING_ENTRIES
 * checkLayout([0, 40], [40, 80], 100, (i) => `entry ${i}`); // Float64Array [40, 100]
 * ```
 */
export function checkLayout(starts: ArrayLike<number>, ends: ArrayLike<number>, centralDirectoryOffset: number, nameOf: (index: number) => string): Float64Array {
  const count = starts.length;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => starts[a]! - starts[b]!);
  const nextStarts = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const i = order[k]!;
    const next = k + 1 < count ? order[k + 1]! : undefined;
    const limit = next === undefined ? centralDirectoryOffset : starts[next]!;
    if (ends[i]! > limit) {
      const other = next === undefined ? 'the central directory' : `entry ${JSON.stringify(nameOf(next))}`;
      throw new ExtractionError(`entry bytes [${starts[i]}, ${ends[i]}) overlap ${other} starting at ${limit}`, {
        reason: 'OVERLAPPING_ENTRIES',
        entryPath: nameOf(i),
      });
    }
    nextStarts[i] = limit;
  }
  return nextStarts;
}
