// `rollback` and `finalize`, the two ends of a migration. Rollback restores the references
// from the journal and removes the new copies whose originals are intact (requirement 4.5),
// then the migration's bookkeeping, so the bucket is exactly as before. Finalize deletes the
// originals, and only after a clean validation: with any copy missing or different it deletes
// nothing at all.
import { MigrationError } from '../../errors/index.js';
import { stepContext, openMigration, ProgressReporter, type StepContext } from './context.js';
import { journalTime, type MigrationJournal } from './journal.js';
import { forEachConcurrent } from './pool.js';
import { validateMigration } from './validate.js';
import type { FinalizeReport, MigrationOptions, PlannedMove, RollbackReport } from './types.js';

/**
 * Undoes the latest migration (or `options.id`): references back to their old URIs, new copies
 * removed where the original is intact, bookkeeping removed. Refuses a finalized migration.
 *
 * @example
 * ```ts
 * const report = await rollbackMigration({ s3, bucket: 'edge-cv', dynamodb, tables });
 * console.log(report.referencesRestored, report.copiesRemoved);
 * ```
 */
export async function rollbackMigration(options: MigrationOptions): Promise<RollbackReport> {
  const ctx = stepContext(options);
  const journal = await openMigration(ctx, 'rollback');
  if (journal.state === 'finalized') {
    throw new MigrationError(`migration ${journal.id} is finalized: its originals are deleted, so it cannot be rolled back`, {
      suggestion: 'copy the objects back by hand from the new keys listed in its journal.jsonl',
    });
  }
  const moves = journal.plan?.moves ?? [];
  const report: RollbackReport = { id: journal.id, dryRun: ctx.dryRun, referencesRestored: 0, copiesRemoved: 0, copiesKept: [] };
  if (ctx.dryRun) {
    report.referencesRestored = journal.records.filter((r) => r.type === 'reference-updated').length;
    report.copiesRemoved = moves.length;
    return report;
  }
  journal.append({ type: 'rollback-started', at: journalTime() });
  await journal.flush();
  report.referencesRestored = await restoreReferences(ctx, journal, moves);
  await removeCopies(ctx, journal, moves, report);
  // Bookkeeping goes only when the bucket is back as it was; otherwise a rerun finishes the job.
  if (report.copiesKept.length === 0) await journal.remove();
  return report;
}

async function restoreReferences(ctx: StepContext, journal: MigrationJournal, moves: readonly PlannedMove[]): Promise<number> {
  const references = ctx.references;
  if (references === undefined) return 0;
  let restored = 0;
  const updates = journal.records.flatMap((r) => (r.type === 'reference-updated' ? [r] : [])).reverse();
  await forEachConcurrent(
    updates,
    ctx.concurrency,
    async (u) => {
      if (await references.replace(u.table, u.key, u.path, u.new, u.old)) restored++;
    },
    ctx.options.signal,
  );
  // An update made just before a crash may have missed the journal: any named attribute still
  // holding a new URI this migration created goes back to its original.
  if (ctx.options.tables?.length) {
    const uri = (key: string) => `s3://${ctx.options.bucket}/${key}`;
    const back = new Map(moves.map((m) => [uri(m.target), uri(m.source)]));
    const found: { table: string; key: Record<string, unknown>; path: string; value: string }[] = [];
    await references.scan(ctx.options.tables, (ref) => {
      if (back.has(ref.value)) found.push(ref);
    });
    await forEachConcurrent(found, ctx.concurrency, async (ref) => {
      if (await references.replace(ref.table, ref.key, ref.path, ref.value, back.get(ref.value)!)) restored++;
    }, ctx.options.signal);
  }
  return restored;
}

async function removeCopies(ctx: StepContext, journal: MigrationJournal, moves: readonly PlannedMove[], report: RollbackReport): Promise<void> {
  const progress = new ProgressReporter(ctx, 'removing-copies', moves.length, 0);
  const listed = await ctx.objects.snapshot('');
  await forEachConcurrent(
    moves,
    ctx.concurrency,
    async (move) => {
      const target = listed.get(move.target);
      if (target !== undefined) {
        const original = listed.get(move.source);
        if (original === undefined || original.size !== target.size) {
          report.copiesKept.push(move.target);
          ctx.logger.warn('keeping new copy: its original is missing or differs', { id: journal.id, key: move.target, original: move.source });
        } else {
          await ctx.objects.delete(move.target);
          report.copiesRemoved++;
        }
      }
      progress.step(0, move.target);
    },
    ctx.options.signal,
  );
  report.copiesKept.sort();
}

/**
 * Deletes the originals of the latest completed migration (or `options.id`), only after a
 * clean validation; with any problem it deletes nothing and throws {@link MigrationError}.
 *
 * @example
 * ```ts
 * const { originalsDeleted } = await finalizeMigration({ s3, bucket: 'edge-cv', dynamodb, tables });
 * ```
 */
export async function finalizeMigration(options: MigrationOptions): Promise<FinalizeReport> {
  const ctx = stepContext(options);
  const journal = await openMigration(ctx, 'finalize');
  if (journal.state !== 'completed' && journal.state !== 'finalized') {
    throw new MigrationError(`migration ${journal.id} is ${journal.state}, not completed; nothing was deleted`, {
      suggestion: journal.state === 'migrating' ? 'run migrate again to finish it, then validate and finalize' : 'finish the rollback first',
    });
  }
  const validation = await validateMigration({ ...options, id: journal.id });
  const report: FinalizeReport = { id: journal.id, dryRun: ctx.dryRun, originalsDeleted: 0, validation };
  if (!validation.ok) {
    throw new MigrationError(`finalize refused: validation found ${validation.problems.length} problem(s), first ${validation.problems[0]?.key}; nothing was deleted`, {
      details: { id: journal.id, problems: validation.problems },
    });
  }
  const sources = journal.records.flatMap((r) => (r.type === 'copied' ? [r.source] : []));
  if (ctx.dryRun || journal.state === 'finalized') {
    report.originalsDeleted = journal.state === 'finalized' ? 0 : sources.length;
    return report;
  }
  const progress = new ProgressReporter(ctx, 'deleting-originals', sources.length, 0);
  await forEachConcurrent(sources, ctx.concurrency, async (key) => {
    await ctx.objects.delete(key);
    report.originalsDeleted++;
    progress.step(0, key);
  }, ctx.options.signal);
  journal.append({ type: 'finalized', at: journalTime(), originalsDeleted: report.originalsDeleted });
  await journal.consolidate();
  return report;
}
