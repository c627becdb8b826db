// What every migration step needs, built once from the caller's options, and the reporting of
// progress in the library's ProcessingState shape.
import { KiB, GiB, MiB } from '../../units.js';
import { ConfigurationError, MigrationError } from '../../errors/index.js';
import { silentLogger, type StorageLogger } from '../../observe/logger.js';
import { estimateRemainingMs, type ProcessingState } from '../../observe/progress.js';
import { MigrationJournal } from './journal.js';
import { ReferenceStore } from './references.js';
import type { RetryPolicy } from './retry.js';
import { BucketObjects } from './s3-objects.js';
import type { MigrationOptions } from './types.js';

/** CopyObject's limit: sources larger than this need UploadPartCopy. */
export const COPY_OBJECT_LIMIT_BYTES = 5 * GiB;

/** The resolved settings and clients of one step. */
export interface StepContext {
  options: MigrationOptions;
  objects: BucketObjects;
  /** The same bucket without the caller's signal: the journal is written even after a cancel. */
  journalObjects: BucketObjects;
  references: ReferenceStore | undefined;
  policy: RetryPolicy;
  concurrency: number;
  sizing: { thresholdBytes: number; partSizeBytes: number };
  logger: StorageLogger;
  dryRun: boolean;
}

/** Checks the options and builds the context of one step. */
export function stepContext(options: MigrationOptions): StepContext {
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigurationError('concurrency', 'must be a whole number of at least 1', concurrency);
  const thresholdBytes = options.multipartThresholdBytes ?? COPY_OBJECT_LIMIT_BYTES;
  const partSizeBytes = options.partSizeBytes ?? 512 * MiB;
  if (thresholdBytes > COPY_OBJECT_LIMIT_BYTES) throw new ConfigurationError('multipartThresholdBytes', 'must be at most 5 GiB (the CopyObject limit)', thresholdBytes);
  // S3's UploadPartCopy parts are 5 MiB to 5 GiB; smaller ones are allowed here only so that
  // tests against a local server can exercise the multipart path with tiny objects.
  if (partSizeBytes < 1 * KiB || partSizeBytes > COPY_OBJECT_LIMIT_BYTES) throw new ConfigurationError('partSizeBytes', 'must be between 1 KiB and 5 GiB', partSizeBytes);
  if ((options.tables?.length ?? 0) > 0 && options.dynamodb === undefined) {
    throw new ConfigurationError('dynamodb', 'is required when tables are given');
  }
  const policy: RetryPolicy = { retries: options.retries ?? 5, minDelayMs: options.retryMinDelayMs ?? 200, signal: options.signal };
  const objects = new BucketObjects(options.s3, options.bucket, policy);
  return {
    options,
    objects,
    journalObjects: objects.withPolicy({ retries: policy.retries, minDelayMs: policy.minDelayMs }),
    references: options.dynamodb === undefined ? undefined : new ReferenceStore(options.dynamodb, policy),
    policy,
    concurrency,
    sizing: { thresholdBytes, partSizeBytes },
    logger: options.logger ?? silentLogger,
    dryRun: options.dryRun ?? false,
  };
}

/** Opens migration `options.id`, or the latest one; throws when there is none. */
export async function openMigration(ctx: StepContext, step: string): Promise<MigrationJournal> {
  const id = ctx.options.id ?? (await MigrationJournal.listIds(ctx.objects)).at(-1);
  if (id === undefined) {
    throw new MigrationError(`${step}: bucket ${ctx.options.bucket} has no migration under _migrations/`, {
      suggestion: 'run `s3 migrate` first, or pass the id with --id',
    });
  }
  const journal = await MigrationJournal.open(ctx.journalObjects, id);
  if (journal.records.length === 0 && journal.plan === undefined) {
    throw new MigrationError(`${step}: migration ${id} not found in bucket ${ctx.options.bucket}`, { suggestion: 'list _migrations/ and pass an existing id' });
  }
  return journal;
}

/** Reports progress through `onProgress`, counting objects and bytes. */
export class ProgressReporter {
  private readonly started = Date.now();
  private files = 0;
  private bytes = 0;

  constructor(
    private readonly ctx: StepContext,
    private readonly phase: string,
    private readonly totalFiles: number,
    private readonly totalBytes: number,
  ) {
    this.emit(undefined);
  }

  /** One more object done. */
  step(bytes: number, entry?: string): void {
    this.files++;
    this.bytes += bytes;
    this.emit(entry);
  }

  private emit(entry: string | undefined): void {
    const listener = this.ctx.options.onProgress;
    if (listener === undefined) return;
    const state: ProcessingState = {
      currentPhase: this.phase,
      filesProcessed: this.files,
      totalFiles: this.totalFiles,
      bytesProcessed: this.bytes,
      totalBytes: this.totalBytes,
      diskUsage: 0,
      cleanupPerformed: false,
      estimatedRemaining: estimateRemainingMs(this.files, this.totalFiles, Date.now() - this.started),
      ...(entry === undefined ? {} : { currentEntry: entry }),
    };
    listener(state);
  }
}
