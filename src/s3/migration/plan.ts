// `plan`: list the bucket, classify every key, and say what moves where. Nothing is written.
import { DEFAULT_LEGACY_RULES, matchLegacyKey } from '../legacy-rules.js';
import { assertPrefix } from '../key-rules.js';
import { MIGRATIONS_ROOT } from './journal.js';
import { isPlainMd5Etag, type BucketObjects, type ListedObject } from './s3-objects.js';
import type { MigrationOptions, MigrationPlan, PlanConflict, PlannedMove } from './types.js';

/**
 * Whether `target` holds the same bytes as `source`: sizes first, then ETags when both are
 * plain MD5s, else SHA-256 of both, streamed.
 */
export async function sameContent(objects: BucketObjects, source: ListedObject, target: ListedObject): Promise<boolean> {
  if (source.size !== target.size) return false;
  if (isPlainMd5Etag(source.etag) && isPlainMd5Etag(target.etag)) return source.etag === target.etag;
  const [a, b] = await Promise.all([objects.sha256(source.key), objects.sha256(target.key)]);
  return a === b;
}

/** Lists the bucket and builds the plan. */
export async function buildPlan(objects: BucketObjects, options: MigrationOptions): Promise<MigrationPlan> {
  const prefix = assertPrefix('prefix', options.prefix);
  const rules = options.rules ?? DEFAULT_LEGACY_RULES;
  // The journal lives at the root; a prefix of `_migrations` is never planned.
  const listed = (await objects.list(prefix === '' ? '' : `${prefix}/`)).filter((o) => !o.key.startsWith(MIGRATIONS_ROOT));
  const byKey = new Map(listed.map((o) => [o.key, o]));

  const inPlace: string[] = [];
  const orphans: string[] = [];
  const candidates = new Map<string, PlannedMove[]>();
  for (const o of listed) {
    const match = matchLegacyKey(o.key, rules, { prefix });
    if (match === null) orphans.push(o.key);
    else if (match.key === o.key) inPlace.push(o.key);
    else {
      const list = candidates.get(match.key) ?? [];
      list.push({ source: o.key, target: match.key, size: o.size, etag: o.etag, rule: match.rule });
      candidates.set(match.key, list);
    }
  }

  const moves: PlannedMove[] = [];
  const alreadyCopied: PlannedMove[] = [];
  const conflicts: PlanConflict[] = [];
  for (const [target, sources] of candidates) {
    const existing = byKey.get(target);
    if (sources.length > 1) {
      // Two legacy keys for one new key: unless all but one are already the target's bytes, a
      // person must decide which one wins.
      conflicts.push({ target, sources: sources.map((s) => s.source).sort(), reason: 'multiple-sources' });
      continue;
    }
    const move = sources[0]!;
    if (existing === undefined) moves.push(move);
    else if (await sameContent(objects, byKey.get(move.source)!, existing)) alreadyCopied.push(move);
    else conflicts.push({ target, sources: [move.source], reason: 'target-differs' });
  }
  const byName = (a: { source: string }, b: { source: string }) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
  moves.sort(byName);
  alreadyCopied.sort(byName);
  conflicts.sort((a, b) => (a.target < b.target ? -1 : 1));
  return {
    bucket: objects.bucket,
    prefix,
    moves,
    inPlace,
    alreadyCopied,
    conflicts,
    orphans,
    counts: {
      total: listed.length,
      toMove: moves.length,
      inPlace: inPlace.length,
      alreadyCopied: alreadyCopied.length,
      conflicts: conflicts.reduce((n, c) => n + c.sources.length, 0),
      orphans: orphans.length,
    },
  };
}
