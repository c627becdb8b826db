// The S3 layout, with no AWS SDK: the key builder, the legacy key rules and the key rules.
// Re-exported by the root entry; what needs the SDK is in `./index.ts` (`storage-safe-archive/s3`).
export {
  S3PathBuilder,
  type S3PathBuilderOptions,
  type ParsedS3Key,
  type ParsedLayoutKey,
  type DatasetKey,
  type TrainingKey,
  type CompilationKey,
  type DeploymentKey,
  type LegacyKey,
  type UnknownKey,
} from './path-builder.js';
export {
  resolveLegacyKey,
  matchLegacyKey,
  DEFAULT_LEGACY_RULES,
  LAYOUT_ROOTS,
  type LegacyRule,
  type LegacyMatch,
  type ResolveOptions,
} from './legacy-rules.js';
export { sanitizeName, sanitizeJobName, MAX_KEY_BYTES, JOB_NAME_PATTERN, TARGET_PATTERN } from './key-rules.js';
