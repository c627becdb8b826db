// The migration journal, kept in the bucket itself so that any machine can resume, validate,
// roll back or finalize a migration. S3 objects cannot be appended to, so records are written
// in batches as numbered segments, `_migrations/<id>/journal/<seq>-<writer>.jsonl`, each one
// immutable; reading the journal is listing the segments in key order and concatenating them.
// When a command ends, the whole journal is also written as `_migrations/<id>/journal.jsonl`,
// one file for people and tools to read. The plan a migration carries out is
// `_migrations/<id>/plan.json`, written once before the first copy.
import { randomBytes } from 'node:crypto';
import type { BucketObjects } from './s3-objects.js';
import type { MigrationPlan, ReferenceChange } from './types.js';

/** The folder all migration bookkeeping lives under, at the bucket's root. */
export const MIGRATIONS_ROOT = '_migrations/';

/** The first record of a migration. */
export interface StartedRecord {
  /** Always `'started'`. */
  type: 'started';
  /** ISO time of writing. */
  at: string;
  /** The migration's id. */
  id: string;
  /** The bucket. */
  bucket: string;
  /** The prefix, or `''`. */
  prefix: string;
  /** Objects in the plan to copy. */
  moves: number;
}

/** One verified copy. */
export interface CopiedRecord {
  /** Always `'copied'`. */
  type: 'copied';
  /** ISO time of writing. */
  at: string;
  /** The legacy key. */
  source: string;
  /** The new key. */
  target: string;
  /** Size in bytes. */
  size: number;
  /** The source's ETag when copied. */
  sourceEtag: string;
  /** The copy's ETag: `validate` compares the object at `target` against it. */
  targetEtag: string;
  /** SHA-256 of the bytes, when ETags could not be compared (multipart or KMS). */
  sha256?: string;
  /** `copy` (CopyObject), `multipart` (UploadPartCopy) or `existing` (found made by an interrupted run). */
  method: 'copy' | 'multipart' | 'existing';
}

/** One DynamoDB value changed, with its old value for rollback. */
export interface ReferenceUpdatedRecord extends ReferenceChange {
  /** Always `'reference-updated'`. */
  type: 'reference-updated';
  /** ISO time of writing. */
  at: string;
}

/** A state change with no other data: `completed` or `rollback-started`. */
export interface MilestoneRecord {
  /** `completed`: every copy and reference done; `rollback-started`: a rollback began. */
  type: 'completed' | 'rollback-started';
  /** ISO time of writing. */
  at: string;
}

/** The originals were deleted. */
export interface FinalizedRecord {
  /** Always `'finalized'`. */
  type: 'finalized';
  /** ISO time of writing. */
  at: string;
  /** Originals deleted. */
  originalsDeleted: number;
}

/** One line of the journal. */
export type JournalRecord = StartedRecord | CopiedRecord | ReferenceUpdatedRecord | MilestoneRecord | FinalizedRecord;

/** Where a migration stands, read from its journal. */
export type MigrationState = 'migrating' | 'completed' | 'rolling-back' | 'finalized';

/** Records batched before a segment is written; an interrupted run loses at most these, and resume re-checks them. */
const SEGMENT_RECORDS = 50;

/** A new migration id: sortable by time, unique enough for one bucket. */
export function newMigrationId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The journal of one migration: read on open, appended in segments. */
export class MigrationJournal {
  /** Every record so far, in order. */
  readonly records: JournalRecord[] = [];
  private pending: JournalRecord[] = [];
  private nextSeq: number;
  private flushing: Promise<void> = Promise.resolve();
  private readonly writer = randomBytes(4).toString('hex');

  private constructor(
    private readonly objects: BucketObjects,
    /** The migration's id. */
    readonly id: string,
    /** The plan it carries out, when plan.json still exists. */
    readonly plan: MigrationPlan | undefined,
    nextSeq: number,
  ) {
    this.nextSeq = nextSeq;
  }

  /** The folder of migration `id`. */
  static folder(id: string): string {
    return `${MIGRATIONS_ROOT}${id}/`;
  }

  /** Ids of every migration in the bucket, oldest first. */
  static async listIds(objects: BucketObjects): Promise<string[]> {
    const ids = new Set<string>();
    for (const o of await objects.list(MIGRATIONS_ROOT)) {
      const id = o.key.slice(MIGRATIONS_ROOT.length).split('/')[0];
      if (id) ids.add(id);
    }
    return [...ids].sort();
  }

  /** Starts a journal for a new migration: writes plan.json and the `started` record. */
  static async create(objects: BucketObjects, id: string, plan: MigrationPlan): Promise<MigrationJournal> {
    await objects.putText(`${MigrationJournal.folder(id)}plan.json`, JSON.stringify(plan), 'application/json');
    const journal = new MigrationJournal(objects, id, plan, 0);
    journal.append({ type: 'started', at: now(), id, bucket: plan.bucket, prefix: plan.prefix, moves: plan.moves.length });
    await journal.flush();
    return journal;
  }

  /** Reads migration `id`'s plan and every journal segment. */
  static async open(objects: BucketObjects, id: string): Promise<MigrationJournal> {
    const folder = MigrationJournal.folder(id);
    const planText = await objects.getText(`${folder}plan.json`);
    const segments = (await objects.list(`${folder}journal/`)).map((o) => o.key).sort();
    const lastSeq = segments.length === 0 ? -1 : Number(segments[segments.length - 1]!.slice(`${folder}journal/`.length).split('-')[0]);
    const journal = new MigrationJournal(objects, id, planText === undefined ? undefined : (JSON.parse(planText) as MigrationPlan), lastSeq + 1);
    for (const key of segments) {
      const text = (await objects.getText(key)) ?? '';
      for (const line of text.split('\n')) if (line.trim() !== '') journal.records.push(JSON.parse(line) as JournalRecord);
    }
    return journal;
  }

  /** Where the migration stands. */
  get state(): MigrationState {
    const types = new Set(this.records.map((r) => r.type));
    if (types.has('finalized')) return 'finalized';
    if (types.has('rollback-started')) return 'rolling-back';
    if (types.has('completed')) return 'completed';
    return 'migrating';
  }

  /** Queues a record; a segment is written every few records. */
  append(record: JournalRecord): void {
    this.records.push(record);
    this.pending.push(record);
    if (this.pending.length >= SEGMENT_RECORDS) void this.flush().catch(() => undefined);
  }

  /** Writes the queued records as one segment. Flushes run one at a time, in order. */
  flush(): Promise<void> {
    // A failed flush re-queues its records; the chain goes on so that the next flush retries them.
    this.flushing = this.flushing.catch(() => undefined).then(async () => {
      if (this.pending.length === 0) return;
      const batch = this.pending;
      this.pending = [];
      const seq = String(this.nextSeq++).padStart(8, '0');
      try {
        await this.objects.putText(`${MigrationJournal.folder(this.id)}journal/${seq}-${this.writer}.jsonl`, toJsonl(batch));
      } catch (error) {
        this.pending = [...batch, ...this.pending];
        throw error;
      }
    });
    return this.flushing;
  }

  /** Flushes, then writes the whole journal as `journal.jsonl`. */
  async consolidate(): Promise<void> {
    await this.flush();
    await this.objects.putText(`${MigrationJournal.folder(this.id)}journal.jsonl`, toJsonl(this.records));
  }

  /**
   * Removes every bookkeeping object of this migration (after a rollback, so the bucket is as
   * it was). The newest segment, which holds `rollback-started`, goes last: an interrupted
   * removal still reads as a rollback in progress.
   */
  async remove(): Promise<void> {
    await this.flush();
    const folder = MigrationJournal.folder(this.id);
    const keys = (await this.objects.list(folder)).map((o) => o.key);
    const segments = keys.filter((k) => k.startsWith(`${folder}journal/`)).sort();
    const others = keys.filter((k) => !k.startsWith(`${folder}journal/`));
    for (const key of [...others, ...segments]) await this.objects.delete(key);
  }
}

function toJsonl(records: readonly JournalRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

function now(): string {
  return new Date().toISOString();
}

/** The current time as the journal writes it. */
export const journalTime = now;
