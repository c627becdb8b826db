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
export { readThrough, type ReadThroughOptions, type ReadThroughResult } from './read-through.js';
export * from './migration/index.js';
