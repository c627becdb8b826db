// The migration Lambda's work: one action of the library's
// migration engine on the models bucket, with the DynamoDB references that follow the objects.
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type StorageLogger } from 'storage-safe-archive';
import {
  finalizeMigration,
  formatMigrationReport,
  formatPlan,
  formatValidation,
  planMigration,
  rollbackMigration,
  runMigration,
  validateMigration,
  type MigrationOptions,
  type ReferenceTable,
} from 'storage-safe-archive/s3';

/** The actions, in the order an operator runs them. */
export const MIGRATION_ACTIONS = ['plan', 'migrate', 'validate', 'rollback', 'finalize'] as const;
/** One of {@link MIGRATION_ACTIONS}. */
export type MigrationAction = (typeof MIGRATION_ACTIONS)[number];

/** The event the migration Lambda takes. */
export interface MigrationEvent {
  /** What to do. */
  action: MigrationAction;
  /** Report what would happen and write nothing. Default: true for migrate, rollback and finalize unless set to false. */
  dryRun?: boolean;
  /** Which migration `validate`, `rollback` and `finalize` act on; default the latest. */
  id?: string;
}

/**
 * The attributes holding S3 URIs in the two tables (Edge CV portal items): the migration
 * rewrites exactly these, and nothing else, when objects move.
 */
export const REFERENCE_ATTRIBUTES = {
  trainingJobs: ['artifact_s3', 'dataset_manifest_s3', 'compilation_jobs[].compiled_model_s3', 'packaged_components[].component_package_s3'],
  models: ['artifact_s3', 'packaged_components[].component_package_s3'],
} as const;

/** What the run needs. */
export interface MigrationDependencies {
  /** S3 client. */
  s3: S3Client;
  /** The bucket. */
  bucket: string;
  /** DynamoDB client, when references follow the objects. */
  dynamodb?: DynamoDBClient;
  /** Table names (`TRAINING_JOBS_TABLE`, `MODELS_TABLE`). */
  tables?: { trainingJobs?: string; models?: string };
  /** Logger. */
  logger?: StorageLogger;
}

/** The Lambda's answer: the action, a human summary and the engine's report. */
export interface MigrationResult {
  /** The action run. */
  action: MigrationAction;
  /** Whether it wrote nothing. */
  dryRun: boolean;
  /** The engine's text rendering (plan, report or validation). */
  summary: string;
  /** The engine's report as returned. */
  report: unknown;
}

/** Checks the event: a known action, a boolean dryRun, a string id. */
export function parseMigrationEvent(event: unknown): MigrationEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  if (!MIGRATION_ACTIONS.includes(e.action as MigrationAction)) {
    throw new Error(`"action" must be one of ${MIGRATION_ACTIONS.join(', ')}; got ${JSON.stringify(e.action)}`);
  }
  if (e.dryRun !== undefined && typeof e.dryRun !== 'boolean') throw new Error(`"dryRun" must be true or false; got ${JSON.stringify(e.dryRun)}`);
  if (e.id !== undefined && typeof e.id !== 'string') throw new Error(`"id" must be a string; got ${JSON.stringify(e.id)}`);
  return { action: e.action as MigrationAction, ...(e.dryRun === undefined ? {} : { dryRun: e.dryRun }), ...(e.id === undefined ? {} : { id: e.id as string }) };
}

function referenceTables(tables: MigrationDependencies['tables']): ReferenceTable[] {
  const list: ReferenceTable[] = [];
  if (tables?.trainingJobs) list.push({ table: tables.trainingJobs, attributes: [...REFERENCE_ATTRIBUTES.trainingJobs] });
  if (tables?.models) list.push({ table: tables.models, attributes: [...REFERENCE_ATTRIBUTES.models] });
  return list;
}

/** Runs one action. Writing actions are dry runs unless the event says `dryRun: false`. */
export async function runMigrationAction(event: MigrationEvent, deps: MigrationDependencies): Promise<MigrationResult> {
  // A Lambda invoked with a bare { action: 'migrate' } should not move a whole bucket by accident.
  const dryRun = event.action === 'plan' || event.action === 'validate' ? false : (event.dryRun ?? true);
  const tables = referenceTables(deps.tables);
  const options: MigrationOptions = {
    s3: deps.s3,
    bucket: deps.bucket,
    dryRun,
    ...(deps.dynamodb && tables.length > 0 ? { dynamodb: deps.dynamodb, tables } : {}),
    ...(event.id ? { id: event.id } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  };
  switch (event.action) {
    case 'plan': {
      const plan = await planMigration(options);
      return { action: 'plan', dryRun: true, summary: formatPlan(plan), report: plan };
    }
    case 'migrate': {
      const report = await runMigration(options);
      return { action: 'migrate', dryRun, summary: formatMigrationReport(report), report };
    }
    case 'validate': {
      const report = await validateMigration(options);
      return { action: 'validate', dryRun: true, summary: formatValidation(report), report };
    }
    case 'rollback': {
      const report = await rollbackMigration(options);
      return { action: 'rollback', dryRun, summary: `rollback of ${report.id}${dryRun ? ' (dry run)' : ''}: ${report.referencesRestored} references restored`, report };
    }
    case 'finalize': {
      const report = await finalizeMigration(options);
      return { action: 'finalize', dryRun, summary: `finalize of ${report.id}${dryRun ? ' (dry run)' : ''}: ${report.originalsDeleted} originals deleted`, report };
    }
  }
}
