// `validate`: every migrated object reachable at its new key with the size and checksum the
// journal recorded, every DynamoDB reference pointing at an existing object, and the orphans
// listed (requirements 4.4 and 6.1 to 6.3). Orphans never make validation fail.
import { DEFAULT_LEGACY_RULES, matchLegacyKey } from '../legacy-rules.js';
import { assertPrefix } from '../key-rules.js';
import { stepContext, openMigration, type StepContext } from './context.js';
import { MIGRATIONS_ROOT, MigrationJournal } from './journal.js';
import { forEachConcurrent } from './pool.js';
import { keyOfUri, type FoundReference } from './references.js';
import type { MigrationOptions, ValidationProblem, ValidationReport } from './types.js';

/**
 * Checks the latest migration (or `options.id`) and every reference in the named tables.
 * `ok` is false when a copy or a reference is missing or differs; orphans are only reported.
 *
 * @example
 * ```ts
 * const report = await validateMigration({ s3, bucket: 'edge-cv', dynamodb, tables });
 * if (!report.ok) console.log(formatValidation(report));
 * ```
 */
export async function validateMigration(options: MigrationOptions): Promise<ValidationReport> {
  const ctx = stepContext(options);
  const hasMigration = options.id !== undefined || (await MigrationJournal.listIds(ctx.objects)).length > 0;
  const journal = hasMigration ? await openMigration(ctx, 'validate') : undefined;
  const problems: ValidationProblem[] = [];
  const checkedObjects = journal === undefined ? 0 : await checkCopies(ctx, journal, problems);
  const checkedReferences = await checkReferences(ctx, problems);
  problems.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ok: problems.length === 0, id: journal?.id, checkedObjects, checkedReferences, problems, orphans: await findOrphans(ctx) };
}

async function checkCopies(ctx: StepContext, journal: MigrationJournal, problems: ValidationProblem[]): Promise<number> {
  const recorded = new Map(journal.records.flatMap((r) => (r.type === 'copied' ? [[r.target, r] as const] : [])));
  const moves = journal.plan?.moves ?? [...recorded.values()].map((r) => ({ source: r.source, target: r.target, size: r.size }));
  await forEachConcurrent(
    moves,
    ctx.concurrency,
    async (move) => {
      const head = await ctx.objects.head(move.target);
      const record = recorded.get(move.target);
      if (head === undefined) {
        problems.push({ kind: 'missing', key: move.target, detail: `no object at the new key (copy of ${move.source})` });
      } else if (record === undefined) {
        problems.push({ kind: 'missing', key: move.target, detail: `copy of ${move.source} is not verified in the journal; run migrate to finish` });
      } else if (head.ContentLength !== record.size) {
        problems.push({ kind: 'differs', key: move.target, detail: `size ${head.ContentLength} bytes, journal says ${record.size}` });
      } else if (head.ETag !== record.targetEtag) {
        problems.push({ kind: 'differs', key: move.target, detail: `ETag ${head.ETag}, journal says ${record.targetEtag}` });
      }
    },
    ctx.options.signal,
  );
  return moves.length;
}

async function checkReferences(ctx: StepContext, problems: ValidationProblem[]): Promise<number> {
  if (ctx.references === undefined || !ctx.options.tables?.length) return 0;
  const found: FoundReference[] = [];
  await ctx.references.scan(ctx.options.tables, (ref) => {
    if (keyOfUri(ref.value, ctx.options.bucket) !== undefined) found.push(ref);
  });
  const exists = new Map<string, Promise<boolean>>();
  await forEachConcurrent(
    found,
    ctx.concurrency,
    async (ref) => {
      const key = keyOfUri(ref.value, ctx.options.bucket)!;
      let check = exists.get(key);
      if (check === undefined) {
        check = ctx.objects.head(key).then((h) => h !== undefined);
        exists.set(key, check);
      }
      if (!(await check)) {
        problems.push({ kind: 'dangling-reference', key, detail: `${ref.table} ${JSON.stringify(ref.key)} ${ref.path} names no object` });
      }
    },
    ctx.options.signal,
  );
  return found.length;
}

async function findOrphans(ctx: StepContext): Promise<string[]> {
  const prefix = assertPrefix('prefix', ctx.options.prefix);
  const rules = ctx.options.rules ?? DEFAULT_LEGACY_RULES;
  const listed = await ctx.objects.list(prefix === '' ? '' : `${prefix}/`);
  return listed.filter((o) => !o.key.startsWith(MIGRATIONS_ROOT) && matchLegacyKey(o.key, rules, { prefix }) === null).map((o) => o.key);
}
