// Where repackage's entries come from: an archive read by the format readers, or entries the
// caller already has. Either way they pass the one policy stage, once, and keep what it resolved.
import { Readable } from 'node:stream';
import { checkEntries, iterateEntries, type IteratedEntry } from '../extract/entry-stream.js';
import type { ExtractionLimits } from '../extract/policy/limits.js';
import type { RawEntry } from '../extract/readers/raw-entry.js';
import type { ArchiveEntry, ArchiveSource } from '../extract/types.js';

/**
 * A repackage source: an archive, or entries (for instance from `StreamingExtractor.entries()`).
 * Entries given as an iterable pass the same safety policy as an archive's.
 *
 * @example
 * ```ts
 * import { repackage, type RepackageSource } from 'storage-safe-archive';
 *
 * const source: RepackageSource = 'model.tar.gz';
 * await repackage({ source, output: 'model.zip' });
 * ```
 */
export type RepackageSource = ArchiveSource | AsyncIterable<ArchiveEntry>;

/** Options of {@link openEntries}, already resolved by the caller. */
export interface OpenEntriesOptions {
  limits: ExtractionLimits;
  stripComponents: number;
  signal: AbortSignal | undefined;
  gunzipWorker: boolean;
}

/** Entries of `source`, one at a time, each checked by the safety policy. */
export function openEntries(source: RepackageSource, options: OpenEntriesOptions): AsyncIterable<IteratedEntry> {
  // Links are resolved against the archive's own tree; `within-destination` refuses any that leave it.
  const iteration = {
    limits: options.limits,
    links: 'within-destination' as const,
    stripComponents: options.stripComponents,
    gunzipWorker: options.gunzipWorker,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return isEntryIterable(source) ? checkEntries(asRawEntries(source), iteration) : iterateEntries(source, iteration);
}

function isEntryIterable(source: RepackageSource): source is AsyncIterable<ArchiveEntry> {
  return typeof source === 'object' && source !== null && !(source instanceof Readable) && Symbol.asyncIterator in source && !('createReadStream' in source);
}

/** The caller's entries seen as a reader's: their names, links and sizes are checked like an archive's. */
async function* asRawEntries(entries: AsyncIterable<ArchiveEntry>): AsyncGenerator<RawEntry, void, undefined> {
  for await (const entry of entries) {
    yield {
      name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
      kind: entry.type,
      size: entry.size,
      mode: entry.mode,
      mtime: entry.mtime,
      ...(entry.linkTarget === undefined ? {} : { linkTarget: entry.linkTarget }),
      openBody: () => entry.body,
    };
  }
}
