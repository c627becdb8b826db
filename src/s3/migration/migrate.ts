// `migrate`: copy every planned object to its new key, verify it, journal it, then point the
// DynamoDB references at the copies. Originals stay until `finalize`, so old references keep
// working throughout (requirement 4.3). A second run continues the unfinished migration found
// in the journal; copies already verified are never made twice.
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { MigrationError } from '../../errors/index.js';
import { stepContext, ProgressReporter, type StepContext } from './context.js';
import { journalTime, MigrationJournal, newMigrationId } from './journal.js';
import { buildPlan } from './plan.js';
import { forEachConcurrent } from './pool.js';
import { keyOfUri } from './references.js';
import { isPlainMd5Etag, type ListedObject } from './s3-objects.js';
import type { MigrationOptions, MigrationPlan, MigrationReport, PlannedMove, ReferenceChange } from './types.js';

/**
 * Lists the bucket and reports what would move where, what is in place, conflicts and orphans.
 * Writes nothing.
 *
 * @example
 * ```ts
 * const plan = await planMigration({ s3, bucket: 'edge-cv' });
 * console.log(formatPlan(plan)); // counts, then every move
 * ```
 */
export async function planMigration(options: MigrationOptions): Promise<MigrationPlan> {
  const ctx = stepContext(options);
  return buildPlan(ctx.objects, options);
}

/**
 * Copies legacy objects to the new layout and updates references; resumes an interrupted
 * migration when the bucket's journal has one. Refuses to start while the plan has conflicts.
 *
 * @example
 * ```ts
 * const report = await runMigration({ s3, bucket: 'edge-cv', dynamodb, tables: [{ table: 'models', attributes: ['artifact_s3'] }] });
 * console.log(report.id, report.copied, report.references.length);
 * ```
 */
export async function runMigration(options: MigrationOptions): Promise<MigrationReport> {
  const ctx = stepContext(options);
  const unfinished = await findUnfinished(ctx);
  const plan = unfinished?.plan ?? (await buildPlan(ctx.objects, options));
  if (unfinished === undefined && plan.conflicts.length > 0) {
    throw new MigrationError(`plan has ${plan.conflicts.length} conflicting target(s), first ${JSON.stringify(plan.conflicts[0])}; nothing was copied`, {
      details: { conflicts: plan.conflicts },
      suggestion: 'run `s3 plan` to see them, resolve each (delete or rename one source), then migrate again',
    });
  }
  const done = new Set(unfinished?.records.flatMap((r) => (r.type === 'copied' ? [r.source] : [])) ?? []);
  const todo = plan.moves.filter((m) => !done.has(m.source));
  const report: MigrationReport = {
    id: unfinished?.id,
    resumed: unfinished !== undefined,
    dryRun: ctx.dryRun,
    copied: 0,
    alreadyPresent: 0,
    bytesCopied: 0,
    references: [],
    plan,
  };

  const mapping = uriMapping(ctx, [...plan.moves, ...plan.alreadyCopied]);
  if (ctx.dryRun) {
    report.references = await pendingReferences(ctx, mapping);
    report.copied = todo.length;
    report.bytesCopied = todo.reduce((n, m) => n + m.size, 0);
    return report;
  }
  if (unfinished === undefined && todo.length === 0 && (await pendingReferences(ctx, mapping)).length === 0) {
    ctx.logger.info('nothing to migrate', { bucket: ctx.options.bucket, inPlace: plan.counts.inPlace });
    return report; // nothing to do: no journal, no writes
  }

  const journal = unfinished ?? (await MigrationJournal.create(ctx.journalObjects, newMigrationId(), plan));
  report.id = journal.id;
  ctx.logger.info(unfinished ? 'resuming migration' : 'starting migration', { id: journal.id, toCopy: todo.length });
  try {
    await copyAll(ctx, journal, todo, report);
    await updateReferences(ctx, journal, mapping, report);
    journal.append({ type: 'completed', at: journalTime() });
  } catch (error) {
    await journal.flush().catch(() => undefined);
    if (ctx.options.signal?.aborted) {
      throw new MigrationError(`migration ${journal.id} was cancelled after ${report.copied} copies in this run`, {
        cause: error,
        details: { id: journal.id, reason: 'ABORTED', copied: report.copied },
        suggestion: 'run migrate again: it resumes where this run stopped',
      });
    }
    throw error;
  }
  await journal.consolidate();
  ctx.logger.info('migration complete', { id: journal.id, copied: report.copied, references: report.references.length });
  return report;
}

async function findUnfinished(ctx: StepContext): Promise<MigrationJournal | undefined> {
  const latest = (await MigrationJournal.listIds(ctx.objects)).at(-1);
  if (latest === undefined) return undefined;
  const journal = await MigrationJournal.open(ctx.journalObjects, latest);
  if (journal.state === 'rolling-back') {
    throw new MigrationError(`the rollback of migration ${latest} is unfinished`, { suggestion: `run rollback --id ${latest} again to finish it first` });
  }
  return journal.state === 'migrating' && journal.plan !== undefined ? journal : undefined;
}

async function copyAll(ctx: StepContext, journal: MigrationJournal, todo: PlannedMove[], report: MigrationReport): Promise<void> {
  const progress = new ProgressReporter(ctx, 'copying', todo.length, todo.reduce((n, m) => n + m.size, 0));
  // A resumed run asks once which targets exist (copies in flight when the last run stopped)
  // rather than a HEAD per object; a new run's plan has just seen that none do.
  const existing = report.resumed ? await ctx.objects.snapshot(ctx.options.prefix ? `${ctx.options.prefix.replace(/\/+$/, '')}/` : '') : new Map<string, ListedObject>();
  await forEachConcurrent(
    todo,
    ctx.concurrency,
    async (move) => {
      const source = await ctx.objects.head(move.source);
      if (source === undefined) {
        throw new MigrationError(`source ${move.source} disappeared after planning`, { details: { key: move.source } });
      }
      const found = existing.get(move.target);
      let method: 'copy' | 'multipart' | 'existing' = 'existing';
      let target: { etag: string | undefined; size: number | undefined } | undefined;
      if (found === undefined) {
        const copied = await ctx.objects.copy({ ...source, key: move.source }, move.target, ctx.sizing);
        method = copied.method;
        // A server-side copy is atomic: the size is the source's; the ETag comes back with it.
        target = { etag: copied.etag, size: source.ContentLength };
      } else {
        target = { etag: found.etag, size: found.size };
      }
      const verified = await verifyCopy(ctx, move, source, target);
      if (!verified.ok) {
        throw new MigrationError(`copy of ${move.source} to ${move.target} does not match: ${verified.detail}`, {
          details: { key: move.source, target: move.target },
          suggestion: found ? 'another writer owns the target key; rename or remove it, then migrate again' : undefined,
        });
      }
      journal.append({
        type: 'copied',
        at: journalTime(),
        source: move.source,
        target: move.target,
        size: source.ContentLength ?? 0,
        sourceEtag: source.ETag ?? '',
        targetEtag: verified.targetEtag,
        ...(verified.sha256 === undefined ? {} : { sha256: verified.sha256 }),
        method,
      });
      if (method === 'existing') report.alreadyPresent++;
      else {
        report.copied++;
        report.bytesCopied += source.ContentLength ?? 0;
      }
      progress.step(source.ContentLength ?? 0, move.source);
    },
    ctx.options.signal,
  );
  await journal.flush();
}

/**
 * Checks the target against the source: size, then ETag when both are plain MD5s, else SHA-256
 * of both, streamed. `known` is the target's ETag and size when the caller already has them
 * (from the copy's answer or a listing); without them the target is HEADed.
 */
export async function verifyCopy(
  ctx: StepContext,
  move: { source: string; target: string },
  source: HeadObjectCommandOutput,
  known?: { etag: string | undefined; size: number | undefined },
): Promise<{ ok: true; targetEtag: string; sha256?: string } | { ok: false; detail: string }> {
  let target = known;
  if (target?.etag === undefined || target.size === undefined || !isPlainMd5Etag(target.etag)) {
    const head = await ctx.objects.head(move.target);
    if (head === undefined) return { ok: false, detail: 'target missing after copy' };
    target = { etag: head.ETag, size: head.ContentLength };
  }
  if (target.size !== source.ContentLength) {
    return { ok: false, detail: `size ${target.size} bytes, expected ${source.ContentLength}` };
  }
  if (isPlainMd5Etag(source.ETag, source.ServerSideEncryption) && isPlainMd5Etag(target.etag, source.ServerSideEncryption)) {
    return source.ETag === target.etag ? { ok: true, targetEtag: target.etag ?? '' } : { ok: false, detail: `ETag ${target.etag}, expected ${source.ETag}` };
  }
  const [a, b] = await Promise.all([ctx.objects.sha256(move.source), ctx.objects.sha256(move.target)]);
  return a === b ? { ok: true, targetEtag: target.etag ?? '', sha256: a } : { ok: false, detail: `SHA-256 ${b}, expected ${a}` };
}

function uriMapping(ctx: StepContext, moves: readonly PlannedMove[]): Map<string, string> {
  const uri = (key: string) => `s3://${ctx.options.bucket}/${key}`;
  return new Map(moves.map((m) => [uri(m.source), uri(m.target)]));
}

async function pendingReferences(ctx: StepContext, mapping: Map<string, string>): Promise<ReferenceChange[]> {
  const changes: ReferenceChange[] = [];
  if (ctx.references === undefined || !ctx.options.tables?.length) return changes;
  await ctx.references.scan(ctx.options.tables, (ref) => {
    const next = mapping.get(ref.value);
    if (next !== undefined && keyOfUri(ref.value, ctx.options.bucket) !== undefined) {
      changes.push({ table: ref.table, key: ref.key, path: ref.path, old: ref.value, new: next });
    }
  });
  return changes;
}

async function updateReferences(ctx: StepContext, journal: MigrationJournal, mapping: Map<string, string>, report: MigrationReport): Promise<void> {
  const references = ctx.references;
  if (references === undefined) return;
  // Only references to objects whose copy is verified in this migration are repointed.
  const copied = new Set(journal.records.flatMap((r) => (r.type === 'copied' ? [`s3://${ctx.options.bucket}/${r.source}`] : [])));
  for (const m of journal.plan?.alreadyCopied ?? []) copied.add(`s3://${ctx.options.bucket}/${m.source}`);
  const changes = (await pendingReferences(ctx, mapping)).filter((c) => copied.has(c.old));
  const progress = new ProgressReporter(ctx, 'updating-references', changes.length, 0);
  await forEachConcurrent(
    changes,
    ctx.concurrency,
    async (change) => {
      if (await references.replace(change.table, change.key, change.path, change.old, change.new)) {
        journal.append({ type: 'reference-updated', at: journalTime(), ...change });
        report.references.push(change);
      }
      progress.step(0, `${change.table}:${change.path}`);
    },
    ctx.options.signal,
  );
  await journal.flush();
}
