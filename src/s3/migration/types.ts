// The shapes the migration engine takes and returns. Plain data throughout, so that every
// report can be printed as JSON by the CLI and stored in the journal as it is.
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StorageLogger } from '../../observe/logger.js';
import type { ProgressListener } from '../../observe/progress.js';
import type { LegacyRule } from '../legacy-rules.js';

/** Which DynamoDB attributes hold S3 URIs that follow the objects they name. */
export interface ReferenceTable {
  /** The table name. */
  table: string;
  /**
   * Attribute paths holding `s3://` URIs: `artifact_s3`, or through lists of maps with `[]`,
   * `compilation_jobs[].compiled_model_s3`. Attributes not named are never touched.
   */
  attributes: string[];
}

/** Options every migration step takes. */
export interface MigrationOptions {
  /** The S3 client (the caller configures region, endpoint and credentials). */
  s3: S3Client;
  /** The bucket to reorganise. */
  bucket: string;
  /** Only keys under this prefix are planned and moved; the layout goes under it too. */
  prefix?: string;
  /** Legacy rules; defaults to DEFAULT_LEGACY_RULES. */
  rules?: readonly LegacyRule[];
  /** A DynamoDB client, when references are to follow the objects. */
  dynamodb?: DynamoDBClient;
  /** The tables and attributes whose URIs are updated (needs `dynamodb`). */
  tables?: ReferenceTable[];
  /** Report what would happen and write nothing at all. Default false. */
  dryRun?: boolean;
  /** Copies, checks and updates in flight at once. Default 8. */
  concurrency?: number;
  /** Objects larger than this are copied with UploadPartCopy. Default 5 GiB (the CopyObject limit). */
  multipartThresholdBytes?: number;
  /** Part size for UploadPartCopy. Default 512 MiB. */
  partSizeBytes?: number;
  /** Attempts after the first for a throttled or failed-by-the-server request. Default 5. */
  retries?: number;
  /** First retry delay in milliseconds, doubled each attempt. Default 200. */
  retryMinDelayMs?: number;
  /** Which migration `rollback`, `finalize` and `validate` act on; default the latest. */
  id?: string;
  /** Cancels the step; a cancelled migrate resumes where it stopped. */
  signal?: AbortSignal;
  /** Receives progress. */
  onProgress?: ProgressListener;
  /** Receives structured log lines. */
  logger?: StorageLogger;
}

/** One object the plan moves. */
export interface PlannedMove {
  /** The legacy key. */
  source: string;
  /** Its key in the new layout. */
  target: string;
  /** Size in bytes. */
  size: number;
  /** The source's ETag as listed. */
  etag: string;
  /** The rule that matched. */
  rule: string;
}

/** Keys that cannot be moved safely. */
export interface PlanConflict {
  /** The contested key in the new layout. */
  target: string;
  /** The legacy keys that map to it. */
  sources: string[];
  /** `multiple-sources`: two keys map to one; `target-differs`: the target exists with other content. */
  reason: 'multiple-sources' | 'target-differs';
}

/** Counts a plan states in its text and JSON. */
export interface PlanCounts {
  /** Keys listed (bookkeeping under `_migrations/` excluded). */
  total: number;
  /** Objects to copy. */
  toMove: number;
  /** Keys already in the new layout. */
  inPlace: number;
  /** Legacy keys whose copy already exists with the same content. */
  alreadyCopied: number;
  /** Legacy keys in a conflict. */
  conflicts: number;
  /** Keys no rule matches. */
  orphans: number;
}

/** What `plan` found: what moves where, what is already in place, conflicts and orphans. */
export interface MigrationPlan {
  /** The bucket. */
  bucket: string;
  /** The prefix, or `''`. */
  prefix: string;
  /** Objects to copy. */
  moves: PlannedMove[];
  /** Keys already in the new layout. */
  inPlace: string[];
  /** Legacy keys already copied to an identical target (a finished migration, not yet finalized). */
  alreadyCopied: PlannedMove[];
  /** Conflicts; migrate refuses to start while there are any. */
  conflicts: PlanConflict[];
  /** Keys no rule matches; they stay where they are. */
  orphans: string[];
  /** The counts. */
  counts: PlanCounts;
}

/** A reference update migrate made (or would make, in a dry run). */
export interface ReferenceChange {
  /** The table. */
  table: string;
  /** The item's primary key. */
  key: Record<string, unknown>;
  /** The concrete attribute path (`compilation_jobs[1].compiled_model_s3`). */
  path: string;
  /** The URI before. */
  old: string;
  /** The URI after. */
  new: string;
}

/** What `migrate` did. */
export interface MigrationReport {
  /** The migration's id, or `undefined` when there was nothing to do. */
  id: string | undefined;
  /** Whether this run continued an interrupted migration. */
  resumed: boolean;
  /** Whether nothing was written. */
  dryRun: boolean;
  /** Objects copied in this run. */
  copied: number;
  /** Objects whose verified copy already existed (copied by the interrupted run). */
  alreadyPresent: number;
  /** Bytes copied in this run. */
  bytesCopied: number;
  /** References updated in this run. */
  references: ReferenceChange[];
  /** The plan that was carried out. */
  plan: MigrationPlan;
}

/** One problem `validate` found. */
export interface ValidationProblem {
  /** `missing`: no object at the new key; `differs`: size or checksum differ; `dangling-reference`: a reference names no object. */
  kind: 'missing' | 'differs' | 'dangling-reference';
  /** The key concerned. */
  key: string;
  /** What differs, in words. */
  detail: string;
}

/** What `validate` found. */
export interface ValidationReport {
  /** True when every migrated object is intact and every reference resolves (orphans do not count). */
  ok: boolean;
  /** The migration checked, if any. */
  id: string | undefined;
  /** Copies checked. */
  checkedObjects: number;
  /** References checked. */
  checkedReferences: number;
  /** Problems found. */
  problems: ValidationProblem[];
  /** Keys no rule matches (reported, never a failure). */
  orphans: string[];
}

/** What `rollback` did. */
export interface RollbackReport {
  /** The migration undone. */
  id: string;
  /** Whether nothing was written. */
  dryRun: boolean;
  /** References restored to their old URIs. */
  referencesRestored: number;
  /** New copies removed. */
  copiesRemoved: number;
  /** New copies kept because their original was missing or differed. */
  copiesKept: string[];
}

/** What `finalize` did. */
export interface FinalizeReport {
  /** The migration finalized. */
  id: string;
  /** Whether nothing was written. */
  dryRun: boolean;
  /** Originals deleted. */
  originalsDeleted: number;
  /** The validation that allowed it. */
  validation: ValidationReport;
}
