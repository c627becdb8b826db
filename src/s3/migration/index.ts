export { planMigration, runMigration } from './migrate.js';
export { validateMigration } from './validate.js';
export { rollbackMigration, finalizeMigration } from './rollback.js';
export { formatPlan, formatValidation, formatMigrationReport } from './format.js';
export {
  MIGRATIONS_ROOT,
  type JournalRecord,
  type MigrationState,
  type StartedRecord,
  type CopiedRecord,
  type ReferenceUpdatedRecord,
  type MilestoneRecord,
  type FinalizedRecord,
} from './journal.js';
export { COPY_OBJECT_LIMIT_BYTES } from './context.js';
export { isRetryableAwsError } from './retry.js';
export type * from './types.js';
