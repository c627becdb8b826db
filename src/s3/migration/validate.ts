// `validate`: every migrated object reachable at its new key with the size and checksum the
// journal recorded, every DynamoDB reference pointing at an existing object, and the orphans
// listed (requirements 4.4 and 6.1 to 6.3). Orphans never make validation fail.
import { DEFAULT_LEGACY_RULES, matchLegacyKey } from '../legacy-rules.js';
import { assertPrefix } from '../key-rules.js';
import { stepContext, openMigration, type StepContext } from './context.js';
import { MIGRATIONS_ROOT, MigrationJournal } from './journal.js';
import { keyOfUri } from './references.js';
import type { ListedObject } from './s3-objects.js';
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
  const hasMigration = options.id !== undefined || (await MigrationJournal.listIds(ctx.journalObjects)).length > 0;
  const journal = hasMigration ? await openMigration(ctx, 'validate') : undefined;
  const problems: ValidationProblem[] = [];
  // One listing of the whole bucket answers every existence, size and ETag question below.
  const listed = await ctx.objects.snapshot('');
  const checkedObjects = journal === undefined ? 0 : checkCopies(journal, listed, problems);
  const checkedReferences = await checkReferences(ctx, listed, problems);
  problems.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ok: problems.length === 0, id: journal?.id, checkedObjects, checkedReferences, problems, orphans: findOrphans(ctx, listed) };
}

function checkCopies(journal: MigrationJournal, listed: Map<string, ListedObject>, problems: ValidationProblem[]): number {
  const recorded = new Map(journal.records.flatMap((r) => (r.type === 'copied' ? [[r.target, r] as const] : [])));
  const moves = journal.plan?.moves ?? [...recorded.values()].map((r) => ({ source: r.source, target: r.target, size: r.size }));
  for (const move of moves) {
    const found = listed.get(move.target);
    const record = recorded.get(move.target);
    if (found === undefined) {
      problems.push({ kind: 'missing', key: move.target, detail: `no object at the new key (copy of ${move.source})` });
    } else if (record === undefined) {
      problems.push({ kind: 'missing', key: move.target, detail: `copy of ${move.source} is not verified in the journal; run migrate to finish` });
    } else if (found.size !== record.size) {
      problems.push({ kind: 'differs', key: move.target, detail: `size ${found.size} bytes, journal says ${record.size}` });
    } else if (found.etag !== record.targetEtag) {
      problems.push({ kind: 'differs', key: move.target, detail: `ETag ${found.etag}, journal says ${record.targetEtag}` });
    }
  }
  return moves.length;
}

async function checkReferences(ctx: StepContext, listed: Map<string, ListedObject>, problems: ValidationProblem[]): Promise<number> {
  if (ctx.references === undefined || !ctx.options.tables?.length) return 0;
  let checked = 0;
  await ctx.references.scan(ctx.options.tables, (ref) => {
    const key = keyOfUri(ref.value, ctx.options.bucket);
    if (key === undefined) return;
    checked++;
    if (!listed.has(key)) {
      problems.push({ kind: 'dangling-reference', key, detail: `${ref.table} ${JSON.stringify(ref.key)} ${ref.path} names no object` });
    }
  });
  return checked;
}

function findOrphans(ctx: StepContext, listed: Map<string, ListedObject>): string[] {
  const prefix = assertPrefix('prefix', ctx.options.prefix);
  const rules = ctx.options.rules ?? DEFAULT_LEGACY_RULES;
  const head = prefix === '' ? '' : `${prefix}/`;
  return [...listed.keys()].filter((key) => key.startsWith(head) && !key.startsWith(MIGRATIONS_ROOT) && matchLegacyKey(key, rules, { prefix }) === null);
}
