// How each operation is called in one case. Plain calls leave the options users reach for most
// (atomic extraction, filters, a cleanup callback that deletes what was written, links refused,
// the zip's compression and names, cancellation part-way) out of the fuzzer's reach; coverage
// showed it. Every option here is deterministic per case, so a failure shrinks and replays.
import fc from 'fast-check';

/** How `extractStreaming` is called. */
export type ExtractMode =
  | 'plain'
  /** `atomic: true`: a staging folder beside the destination, renamed into place. */
  | 'atomic'
  /** A `filter` that keeps entries whose path has an even length. */
  | 'filter'
  /** `extractSelective` with glob patterns. */
  | 'selective'
  /** A `cleanupCallback` that checks the file on disk has the entry's size. */
  | 'cleanup-check'
  /** A `cleanupCallback` that checks the file, then deletes it (the upload-and-delete pattern). */
  | 'cleanup-delete'
  /** `links: 'reject'` on the extractor. */
  | 'links-reject';

/** Every extract mode. */
export const EXTRACT_MODES: readonly ExtractMode[] = ['plain', 'atomic', 'filter', 'selective', 'cleanup-check', 'cleanup-delete', 'links-reject'];

/** The options one case passes to the operations. */
export interface CallVariant {
  extract: ExtractMode;
  /** `repackage`'s `compression`. */
  compression: 'auto' | 'store' | 'deflate';
  /** `repackage`'s `deterministic`. */
  deterministic: boolean;
  /** `repackage`'s `links`. */
  repackageLinks: 'preserve' | 'skip';
  /** `repackage`'s `rename`: unchanged, under a `model/` prefix, or dropping entries whose path length is a multiple of 3. */
  rename: 'none' | 'prefix' | 'drop-some';
  /** `repackage` adds a generated `recipe.json` (which may clash with an entry of that name). */
  extraEntry: boolean;
  /** Each call aborts itself at its k-th progress report that moved (or k-th entry for `entries()`); 0: never. */
  abortAt: number;
}

/** The calls every case made before variants existed (and regression fixtures still make). */
export const PLAIN_CALLS: CallVariant = { extract: 'plain', compression: 'auto', deterministic: false, repackageLinks: 'preserve', rename: 'none', extraEntry: false, abortAt: 0 };

/** The glob patterns of the `selective` mode. */
export const SELECTIVE_PATTERNS = ['**/*a*', '*.bin', '**/'];

/**
 * Call variants: plain half the time, so most cases still judge the defaults; fast-check
 * shrinks every field towards {@link PLAIN_CALLS}.
 *
 * @example
 * ```ts
 * fc.sample(callVariantArbitrary(), 1);
 * ```
 */
export function callVariantArbitrary(): fc.Arbitrary<CallVariant> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(PLAIN_CALLS) },
    {
      weight: 1,
      arbitrary: fc.record({
        extract: fc.constantFrom(...EXTRACT_MODES),
        compression: fc.constantFrom('auto' as const, 'store' as const, 'deflate' as const),
        deterministic: fc.boolean(),
        repackageLinks: fc.constantFrom('preserve' as const, 'skip' as const),
        rename: fc.constantFrom('none' as const, 'prefix' as const, 'drop-some' as const),
        extraEntry: fc.boolean(),
        abortAt: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) }),
      }),
    },
  );
}

/** The `rename` function of a variant, or undefined for `none`. */
export function renameOf(variant: CallVariant): ((path: string) => string | null) | undefined {
  if (variant.rename === 'prefix') return (path) => `model/${path}`;
  if (variant.rename === 'drop-some') return (path) => (path.length % 3 === 0 ? null : path);
  return undefined;
}

/** The `filter` mode's predicate. */
export function keepEvenLength(entry: { path: string }): boolean {
  return entry.path.length % 2 === 0;
}
