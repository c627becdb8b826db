import picomatch from 'picomatch';
import type { ProgressListener } from '../observe/progress.js';
import { iterateEntries } from './entry-stream.js';
import { ExtractionProgress } from './extraction-progress.js';
import type { LinkPolicy } from './policy/check-entry.js';
import { resolveLimits, type ExtractionLimits } from './policy/limits.js';
import { checkStripCount } from './policy/strip-components.js';
import { getArchiveInfo, type ArchiveInfo } from './archive-info.js';
import { estimateWithListing } from './space-estimate.js';
import type { ArchiveEntry, ArchiveSource } from './types.js';
import { extractToDirectory, type ExtractionResult } from './write/extract-to-directory.js';
import type { ExtractorStorage } from './write/storage-like.js';
import { isRandomAccessSource } from './sources/open-archive.js';

/** Options of a {@link StreamingExtractor}; each call can override `limits`, `signal` and `onProgress`. */
export interface StreamingExtractorOptions {
  /** Ceilings (merged over {@link DEFAULT_LIMITS}). */
  limits?: Partial<ExtractionLimits>;
  /** `'within-destination'` (default): links allowed when they stay inside; `'reject'`: no links at all. */
  links?: LinkPolicy;
  /**
   * Leading folders removed from every entry's name, as `tar --strip-components` does (hard link
   * targets too); entries with nothing left are dropped. The stripped names pass the same policy.
   * Default 0.
   */
  stripComponents?: number;
  /** Where free space is asked (a `StorageManager`); default: the destination's disk via `fs.statfs`. */
  storage?: ExtractorStorage;
  /** Receives progress. */
  onProgress?: ProgressListener;
  /** Cancels every operation of this extractor. */
  signal?: AbortSignal;
  /**
   * Inflate a tar.gz on a worker thread, so that inflating and everything after it (writing,
   * hashing) overlap on two cores instead of taking turns: extracting the 1 GiB model took 0.75x
   * GNU tar's time with it, 0.79x without. Same entries, bytes and errors. Costs a thread and
   * memory: peak RSS up to 60 MiB higher in our benchmarks (docs/performance.md, "Gunzip on a
   * worker thread"). Default false. Zip and plain tar are not affected.
   *
   * @example
   * ```ts
   * const extractor = new StreamingExtractor({ gunzipWorker: true });
   * ```
   */
  gunzipWorker?: boolean;
}

/** Options of one {@link StreamingExtractor.entries} call. */
export interface EntriesOptions {
  /** Limits for this call only. */
  limits?: Partial<ExtractionLimits>;
  /** Cancels this call. */
  signal?: AbortSignal;
}

/** Options of one {@link StreamingExtractor.extractStreaming} call. */
export interface ExtractStreamingOptions {
  /** Runs after each file is written and closed; it may read, move or delete the file. */
  cleanupCallback?: (entry: ArchiveEntry, path: string) => void | Promise<void>;
  /** Entries for which it returns false are skipped, their bodies never written. */
  filter?: (entry: ArchiveEntry) => boolean;
  /** Extract into a staging folder beside `destDir` and rename it into place at the end. */
  atomic?: boolean;
  /** Limits for this call only. */
  limits?: Partial<ExtractionLimits>;
  /** Cancels this call; everything it created is removed. */
  signal?: AbortSignal;
  /** Receives progress for this call. */
  onProgress?: ProgressListener;
  /**
   * Files of a zip whose bytes are written at once: default 4 (they inflate on libuv's thread
   * pool); 1 writes one at a time. Files are still created one by one in archive order, and
   * links wait for the files before them. A tar is one stream, written one file at a time, and so
   * is any extraction with a `cleanupCallback`.
   */
  concurrency?: number;
  /**
   * Write files of at most 64 KiB with synchronous calls: each is read whole, then created,
   * checked, written and closed in one go, with no round trips through libuv's thread pool
   * (7x faster a file on many small files; docs/performance.md, "Many small files"). The event
   * loop is held a few tens of microseconds a file on a local disk. Default: true, except when
   * the destination is on a network file system (NFS and so Amazon EFS, SMB, FUSE), where every
   * call is a round trip and the asynchronous calls overlap instead.
   *
   * @example
   * ```ts
   * await extractor.extractStreaming('model.zip', '/mnt/efs/model', { syncSmallFiles: false });
   * ```
   */
  syncSmallFiles?: boolean;
}

/** Glob patterns (picomatch syntax, matched against the normalised entry path) or a predicate. */
export type EntrySelector = string | readonly string[] | ((entry: ArchiveEntry) => boolean);

/**
 * Streams tar, tar.gz and zip archives one entry at a time, safely: every name, link and
 * size is checked against a policy before anything is written, nothing is written outside
 * the destination or through a link, and any failure removes what the call created.
 *
 * @example
 * ```ts
 * const extractor = new StreamingExtractor({ links: 'reject' });
 * const result = await extractor.extractStreaming('model.tar.gz', '/tmp/model');
 * console.log(result.files, result.bytesWritten);
 * ```
 */
export class StreamingExtractor {
  private readonly options: StreamingExtractorOptions;

  constructor(options: StreamingExtractorOptions = {}) {
    resolveLimits(options.limits);
    checkStripCount(options.stripComponents);
    this.options = options;
  }

  private limits(override: Partial<ExtractionLimits> | undefined): ExtractionLimits {
    return resolveLimits({ ...this.options.limits, ...override });
  }

  #gunzip(): { gunzipWorker?: boolean } {
    return this.options.gunzipWorker ? { gunzipWorker: true } : {};
  }

  #strip(): { stripComponents?: number } {
    return this.options.stripComponents ? { stripComponents: this.options.stripComponents } : {};
  }

  private signal(override: AbortSignal | undefined): AbortSignal | undefined {
    const own = this.options.signal;
    if (own === undefined) return override;
    if (override === undefined) return own;
    return AbortSignal.any([own, override]);
  }

  /**
   * Yields the entries one at a time without writing anything. Consume each `body` (or call
   * `skip()`) before asking for the next; an unconsumed body is skipped for you. Breaking out
   * of the loop closes the archive.
   *
   * @example
   * ```ts
   * for await (const entry of extractor.entries('model.tar.gz')) {
   *   if (entry.type === 'file') await pipeline(entry.body, createWriteStream(`/tmp/${basename(entry.path)}`));
   * }
   * ```
   */
  async *entries(archive: ArchiveSource, options: EntriesOptions = {}): AsyncGenerator<ArchiveEntry, void, undefined> {
    const signal = this.signal(options.signal);
    // Nothing is written, so diskUsage stays 0; an entry counts as processed once the caller asks for the next.
    const progress = new ExtractionProgress(this.options.onProgress, 'reading');
    for await (const entry of iterateEntries(archive, { limits: this.limits(options.limits), links: this.options.links ?? 'within-destination', ...this.#strip(), ...this.#gunzip(), ...(signal ? { signal } : {}) })) {
      yield entry;
      progress.filesProcessed++;
      progress.addBytes(entry.size, entry.path);
      progress.report('reading', entry.path);
    }
    progress.report('done');
  }

  /**
   * Extracts every entry (or those `filter` keeps) under `destDir`, checking free space before
   * and during. On failure, removes what it created and rejects.
   *
   * @example
   * ```ts
   * await extractor.extractStreaming('model.tar.gz', '/tmp/model', {
   *   cleanupCallback: async (entry, path) => { await upload(path); await rm(path); },
   * });
   * ```
   */
  async extractStreaming(archive: ArchiveSource, destDir: string, options: ExtractStreamingOptions = {}): Promise<ExtractionResult> {
    const limits = this.limits(options.limits);
    const signal = this.signal(options.signal);
    const onProgress = options.onProgress ?? this.options.onProgress;
    let expectedBytes: number | undefined;
    let expectedEntries: number | undefined;
    // Only sources that can be read twice are estimated up front; a stream is checked as it goes.
    if (limits.maxTotalBytes === 'free-space' && (typeof archive === 'string' || isRandomAccessSource(archive))) {
      const filter = options.filter;
      const { estimate, keptBytes } = await estimateWithListing(archive, { limits, ...(filter === undefined ? {} : { keep: (entry) => filter(asInfoEntry(entry)) }) });
      expectedEntries = estimate.entries;
      // With a filter, only a listing (zip, plain tar) says in advance how much will be kept;
      // for a tar.gz the per-entry and running checks do the work.
      expectedBytes = filter === undefined ? (estimate.diskBytes ?? estimate.bytes) : keptBytes;
    }
    return extractToDirectory(archive, destDir, {
      limits,
      links: this.options.links ?? 'within-destination',
      ...this.#strip(),
      ...this.#gunzip(),
      ...(this.options.storage ? { storage: this.options.storage } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.cleanupCallback ? { cleanupCallback: options.cleanupCallback } : {}),
      ...(options.atomic ? { atomic: true } : {}),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.syncSmallFiles === undefined ? {} : { syncSmallFiles: options.syncSmallFiles }),
      ...(expectedBytes === undefined ? {} : { expectedBytes }),
      ...(expectedEntries === undefined ? {} : { expectedEntries }),
    });
  }

  /**
   * Extracts only the entries matching `selector` (globs against the entry path, or a
   * predicate); the bodies of the others are skipped unwritten (for a zip, unread).
   *
   * @example
   * ```ts
   * await extractor.extractSelective('model.zip', '/tmp/model', ['*.json', 'compiled.params.*']);
   * ```
   */
  async extractSelective(archive: ArchiveSource, destDir: string, selector: EntrySelector, options: Omit<ExtractStreamingOptions, 'filter'> = {}): Promise<ExtractionResult> {
    return this.extractStreaming(archive, destDir, { ...options, filter: toPredicate(selector) });
  }

  /**
   * Lists the archive without writing: format, entries, count, total bytes and whether the
   * totals are exact. A zip's central directory alone is read; a tar.gz is streamed through.
   *
   * @example
   * ```ts
   * const info = await extractor.getArchiveInfo('model.zip');
   * console.log(info.entryCount, info.totalBytes);
   * ```
   */
  async getArchiveInfo(archive: ArchiveSource, options: EntriesOptions = {}): Promise<ArchiveInfo> {
    const signal = this.signal(options.signal);
    return getArchiveInfo(archive, { limits: this.limits(options.limits), ...this.#gunzip(), ...(signal ? { signal } : {}) });
  }
}

function asInfoEntry(entry: { path: string; type: ArchiveEntry['type']; size: number; mode: number; mtime: Date; linkTarget?: string }): ArchiveEntry {
  return { ...entry, body: undefined as never, skip: async () => undefined };
}

/**
 * Turns glob patterns or a predicate into a predicate over entries. A folder also matches
 * when a pattern would match something inside it, so `models/**` keeps `models/`.
 *
 * @example
 * ```ts
 * toPredicate(['*.json'])({ path: 'a.json' } as ArchiveEntry); // true
 * ```
 */
export function toPredicate(selector: EntrySelector): (entry: ArchiveEntry) => boolean {
  if (typeof selector === 'function') return selector;
  const patterns = typeof selector === 'string' ? [selector] : [...selector];
  const isMatch = picomatch(patterns, { dot: true });
  return (entry) => isMatch(entry.path) || (entry.type === 'directory' && isMatch(`${entry.path}/`));
}
