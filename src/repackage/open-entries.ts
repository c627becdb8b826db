// The one place repackage meets the extractor: format readers plus the safety policy, so every
// name that reaches the zip has passed the same checks as an extraction.
import { StreamingExtractor } from '../extract/index.js';
import type { ExtractionLimits } from '../extract/policy/limits.js';
import type { ArchiveEntry, ArchiveSource } from '../extract/types.js';

/** Entries of `source`, one at a time, each checked by the extractor's safety policy. */
export function openEntries(source: ArchiveSource, limits: Partial<ExtractionLimits> | undefined, signal: AbortSignal | undefined): AsyncIterable<ArchiveEntry> {
  // Links are resolved against the archive's own tree; `within-destination` refuses any that leave it.
  const extractor = new StreamingExtractor({ links: 'within-destination', ...(limits === undefined ? {} : { limits }), ...(signal === undefined ? {} : { signal }) });
  return extractor.entries(source);
}
