// The extractor's public surface: the class, its option and result types, the safety policy
// (pure functions and the limits table) and the local-file random-access source.
export * from './types.js';
export { StreamingExtractor, toPredicate } from './streaming-extractor.js';
export type { StreamingExtractorOptions, EntriesOptions, ExtractStreamingOptions, EntrySelector } from './streaming-extractor.js';
export type { ExtractionResult } from './write/extract-to-directory.js';
export type { ExtractorStorage } from './write/storage-like.js';
export { getArchiveInfo } from './archive-info.js';
export type { ArchiveInfo, ArchiveInfoEntry, ArchiveInfoOptions } from './archive-info.js';
export { estimateArchiveSpace, estimateFromIsize, DISK_BLOCK_BYTES } from './space-estimate.js';
export type { SpaceEstimate, IsizeEstimate } from './space-estimate.js';
export { detectFormat } from './detect-format.js';
export { fileRandomAccessSource } from './sources/file-random-access.js';
export { DEFAULT_LIMITS, RATIO_GRACE_BYTES, resolveLimits } from './policy/limits.js';
export type { ExtractionLimits } from './policy/limits.js';
export { normalizeEntryPath } from './policy/normalize-entry-path.js';
export { rejectAbsolutePath } from './policy/reject-absolute-path.js';
export { checkSymlinkTarget, checkHardlinkTarget } from './policy/check-link-target.js';
export { sanitizeMode } from './policy/sanitize-mode.js';
export { checkEntry } from './policy/check-entry.js';
export type { CheckedEntry, LinkPolicy, PolicyInput } from './policy/check-entry.js';
export { stripComponents } from './policy/strip-components.js';
export type { PathLimits } from './policy/normalize-entry-path.js';
export type { RawEntry, RawEntryKind } from './readers/raw-entry.js';
