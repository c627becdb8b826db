import { createReadStream } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';
import { CompressionError, isStorageError } from '../errors.js';
import { silentLogger, type StorageLogger } from '../observe/logger.js';
import { estimateRemainingMs, type OperationOptions } from '../observe/progress.js';
import { deflateWorthIt, peekStart, type AutoCompressionOptions, type ZipCompression } from './compression-choice.js';
import { createZipStreaming, type CreateZipStreamingOptions } from './create-zip-streaming.js';
import { walkSorted } from './walk-sorted.js';
import { MemoryGovernor, type MemoryGovernorOptions } from './memory-governor.js';
import { useNativeCrc32ForYazl } from './native-crc32.js';
import { WrittenEntryShelf } from './written-entry-shelf.js';
import { sizeMismatchError, sourceError, yazlError } from './zip-errors.js';
import { checkZipEntryName } from './zip-entry-name.js';
import { openZipSink, type ZipOutput, type ZipSink } from './zip-output.js';

/**
 * The mtime every entry gets in a deterministic zip: 1980-01-01 00:00 in local time, so the DOS
 * date and time fields are the same in every time zone (the UTC extra field is left out).
 *
 * @example
 * ```ts
 * new IncrementalZipper('out.zip', { deterministic: true }); // every entry dated DETERMINISTIC_MTIME
 * ```
 */
export const DETERMINISTIC_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Options of {@link IncrementalZipper}. */
export interface IncrementalZipperOptions extends OperationOptions {
  /** `'auto'` (default) stores entries deflate cannot shrink by `auto.minSavings`; `'deflate'`; `'store'`. */
  compression?: ZipCompression;
  /** zlib level 1 to 9 for deflated entries. Default 6 (what zip and Python's zipfile use). */
  level?: number;
  /** Tuning of `'auto'`. */
  auto?: AutoCompressionOptions;
  /** Fixed mtimes (no time-zone-dependent extra field) and sorted directory walks: identical inputs give identical bytes. */
  deterministic?: boolean;
  /** Writes ZIP64 records even when not needed (for testing readers). ZIP64 is used automatically when needed. */
  forceZip64?: boolean;
  /** The memory watch (seed property 8). */
  memory?: MemoryGovernorOptions;
  /** Where warnings go (memory pauses). Default silent. */
  logger?: StorageLogger;
  /** Expected uncompressed bytes in all, for progress. */
  totalBytes?: number;
  /** Expected entries in all, for progress. */
  totalFiles?: number;
}

/** What an entry is stored with; everything optional. */
export interface ZipEntryOptions {
  /** Exact uncompressed size, when known: checked against the bytes read; lets yazl predict the final size. */
  size?: number;
  /** Modification time. Default now (or {@link DETERMINISTIC_MTIME} when deterministic). */
  mtime?: Date;
  /** Unix mode including the type bits (`0o100644`); permission bits alone are accepted. Default `0o100644`. */
  mode?: number;
  /** Overrides the zipper's compression for this entry. */
  compress?: ZipCompression;
}

/** What {@link IncrementalZipper.finalize} reports. */
export interface ZipResult {
  /** Entries written (files, directories, links). */
  entries: number;
  /** Bytes handed to the output: the zip's size. */
  bytesWritten: number;
  /** SHA-256 of the zip (lowercase hex), computed while it was written: what a Greengrass recipe's `Digest` wants (base64 of the same bytes). */
  sha256: string;
  /** Uncompressed bytes read from the entries' sources. */
  bytesIn: number;
  /** The size yazl computed in advance, when it could (every entry stored with a known size). */
  finalSize: number | undefined;
  /** Entries written with DEFLATE. */
  deflatedEntries: number;
  /** File entries stored without compression. */
  storedEntries: number;
  /** Highest resident set size sampled while writing. */
  peakRssBytes: number;
  /** Times intake paused because memory was above the soft limit. */
  memoryPauses: number;
  /** Milliseconds from construction to the output being closed. */
  durationMs: number;
}

const SOURCE_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Writes a zip one entry at a time with backpressure from the output back to each source, so
 * memory stays flat whatever the sizes. Built on yazl; ZIP64 is used whenever needed.
 *
 * @example
 * ```ts
 * const zipper = new IncrementalZipper('/tmp/out.zip', { compression: 'auto' });
 * await zipper.addFileStreaming('/models/weights.bin', 'model/weights.bin');
 * await zipper.addBuffer(JSON.stringify(manifest), 'manifest.json');
 * const { entries, bytesWritten } = await zipper.finalize();
 * ```
 */
export class IncrementalZipper {
  readonly #zip = new yazl.ZipFile();
  readonly #shelf = new WrittenEntryShelf(this.#zip);
  readonly #sink: ZipSink;
  readonly #options: IncrementalZipperOptions;
  readonly #governor: MemoryGovernor;
  readonly #logger: StorageLogger;
  readonly #started = Date.now();
  readonly #failedSignal: Promise<never>;
  #rejectFailed!: (error: Error) => void;
  #failure: Error | undefined;
  #abandoned: Promise<void> = Promise.resolve();
  #queue: Promise<unknown> = Promise.resolve();
  #state: 'open' | 'finalizing' | 'done' = 'open';
  #currentSource: Readable | undefined;
  /** The source yazl is piping now: the only one the memory watch may pause and resume. */
  #pipedSource: Readable | undefined;
  #counts = { entries: 0, deflated: 0, stored: 0, bytesIn: 0 };
  #finalSize: number | undefined;
  #progressTimer: NodeJS.Timeout | undefined;
  #stopMemoryWatch: () => void;

  constructor(output: ZipOutput, options: IncrementalZipperOptions = {}) {
    useNativeCrc32ForYazl();
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#governor = new MemoryGovernor(options.memory);
    const level = options.level ?? 6;
    if (!Number.isInteger(level) || level < 1 || level > 9) {
      throw new CompressionError(`compression level ${level} is not an integer from 1 to 9`, { reason: 'INVALID_STATE', suggestion: 'pass level 1 (fastest) to 9 (smallest); 6 is the default' });
    }
    this.#failedSignal = new Promise<never>((_, reject) => (this.#rejectFailed = reject));
    this.#failedSignal.catch(() => undefined);
    // A larger buffer between yazl and the output lets compression and writes overlap.
    (this.#zip as unknown as { outputStream: PassThrough }).outputStream = new PassThrough({ highWaterMark: SOURCE_HIGH_WATER_MARK });
    this.#shelf.watch(this.#zip.outputStream as Readable);
    this.#zip.on('error', (error: Error) => this.#fail(yazlError(error, this.#currentName, this.#sink.path)));
    this.#sink = openZipSink(output, (error) => this.#fail(error));
    this.#sink.pumpFrom(this.#zip.outputStream as Readable);
    const { signal } = options;
    if (signal) {
      const onAbort = () => this.#fail(new CompressionError('writing the zip was aborted', { reason: 'ABORTED', cause: signal.reason, ...this.#outputField() }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    this.#stopMemoryWatch = this.#governor.watch(() => this.#pipedSource, () => this.#sink.drained());
    if (options.onProgress) this.#progressTimer = setInterval(() => this.#report(this.#currentName), 500).unref();
  }

  #currentName: string | undefined;

  /**
   * Zips a directory tree into `zipPath` one file at a time; see {@link createZipStreaming}.
   *
   * @example
   * ```ts
   * await IncrementalZipper.createZipStreaming('/tmp/model', '/tmp/model.zip', { deleteAfterAdd: true });
   * ```
   */
  static createZipStreaming(sourceDir: string, zipPath: string, options: CreateZipStreamingOptions = {}): Promise<ZipResult> {
    return createZipStreaming(sourceDir, zipPath, options);
  }

  /** Bytes handed to the output so far. */
  get bytesWritten(): number {
    return this.#sink.bytesWritten;
  }

  /**
   * Adds an entry whose content is read from `source` (size may be unknown). Resolves once the
   * source has been read to its end into the zip; call the next add after that.
   */
  addStream(source: Readable, name: string, options: ZipEntryOptions = {}): Promise<void> {
    return this.#enqueue(name, () => this.#addStream(source, checkZipEntryName(name), options));
  }

  /** Adds a file from disk, opened only when its turn comes (one descriptor at a time). */
  addFileStreaming(filePath: string, name: string, options: ZipEntryOptions = {}): Promise<void> {
    return this.#enqueue(name, async () => {
      const entryName = checkZipEntryName(name);
      const stats = await lstat(filePath).catch((error: unknown) => {
        throw new CompressionError(`cannot read ${filePath}: ${(error as Error).message}`, { reason: 'SOURCE_FAILED', entryPath: name, cause: error });
      });
      if (!stats.isFile()) throw new CompressionError(`${filePath} is not a regular file`, { reason: 'SOURCE_FAILED', entryPath: name });
      const stream = createReadStream(filePath, { highWaterMark: SOURCE_HIGH_WATER_MARK });
      await this.#addStream(stream, entryName, { size: stats.size, mtime: stats.mtime, mode: stats.mode, ...options });
    });
  }

  /** Adds an entry from memory (a string is written as UTF-8). */
  addBuffer(data: Buffer | string, name: string, options: Omit<ZipEntryOptions, 'size'> = {}): Promise<void> {
    return this.#enqueue(name, async () => {
      const entryName = checkZipEntryName(name);
      const buffer = typeof data === 'string' ? Buffer.from(data) : data;
      await this.#addWholeBuffer(buffer, entryName, options);
    });
  }

  /** Adds a directory entry (`name/`). Parents are implied by file names; this keeps empty directories and modes. */
  addDirectoryEntry(name: string, options: Pick<ZipEntryOptions, 'mtime' | 'mode'> = {}): Promise<void> {
    return this.#enqueue(name, async () => {
      const entryName = checkZipEntryName(name.replace(/\/+$/, ''));
      this.#zip.addEmptyDirectory(entryName, { mtime: this.#mtime(options.mtime), mode: 0o40000 | ((options.mode ?? 0o755) & 0o7777), ...this.#timestampOption() });
      this.#counts.entries++;
    });
  }

  /** Adds a symbolic link entry (mode `0o120777`, the target as content), which unzip restores as a link. */
  addSymlink(name: string, target: string, options: Pick<ZipEntryOptions, 'mtime'> = {}): Promise<void> {
    return this.#enqueue(name, async () => {
      const entryName = checkZipEntryName(name);
      this.#zip.addBuffer(Buffer.from(target), entryName, { mtime: this.#mtime(options.mtime), mode: 0o120777, compress: false, ...this.#timestampOption() });
      this.#counts.entries++;
      this.#counts.stored++;
    });
  }

  /**
   * Adds everything under `dir` as `prefix/…` (files, directories, symlinks; other types are
   * skipped), in sorted order. Returns the number of entries added.
   */
  async addDirectory(dir: string, prefix = ''): Promise<number> {
    let added = 0;
    for await (const item of walkSorted(dir)) {
      const name = prefix === '' ? item.relativePath : `${prefix.replace(/\/+$/, '')}/${item.relativePath}`;
      if (item.type === 'directory') await this.addDirectoryEntry(name, { mode: item.mode, mtime: item.mtime });
      else if (item.type === 'file') await this.addFileStreaming(item.absolutePath, name);
      else if (item.type === 'symlink') await this.addSymlink(name, await readlink(item.absolutePath), { mtime: item.mtime });
      else continue;
      added++;
    }
    return added;
  }

  /**
   * Ends the zip. Resolves only once the last byte is flushed and the output closed (a file:
   * after its descriptor is closed; an S3 upload stream: after the upload completes).
   */
  finalize(): Promise<ZipResult> {
    return this.#enqueue(undefined, async () => {
      this.#state = 'finalizing';
      // Entries queued faster than yazl writes them (deflate) are still being written: keep its
      // scan short until they are, then give it the whole list for the central directory.
      await this.#race(this.#shelf.allWritten());
      this.#shelf.restore();
      this.#zip.end({ forceZip64Format: this.#options.forceZip64 ?? false, comment: '' }, ((size: number) => {
        this.#finalSize = size >= 0 ? size : undefined;
      }) as () => void);
      await this.#race(this.#sink.closed());
      this.#state = 'done';
      this.#stopTimers();
      this.#report(undefined, 'done');
      return {
        entries: this.#counts.entries,
        bytesWritten: this.#sink.bytesWritten,
        sha256: this.#sink.sha256(),
        bytesIn: this.#counts.bytesIn,
        finalSize: this.#finalSize,
        deflatedEntries: this.#counts.deflated,
        storedEntries: this.#counts.stored,
        peakRssBytes: this.#governor.peakRssBytes,
        memoryPauses: this.#governor.pauses,
        durationMs: Date.now() - this.#started,
      };
    });
  }

  /** Abandons the zip: stops writing, removes a file output, and makes later calls fail. */
  async abort(reason = 'abandoned by the caller'): Promise<void> {
    this.#fail(new CompressionError(`writing the zip was stopped: ${reason}`, { reason: 'ABORTED', ...this.#outputField() }));
    await this.#abandoned;
  }

  async #addStream(source: Readable, name: string, options: ZipEntryOptions): Promise<void> {
    const choice = options.compress ?? this.#options.compression ?? 'auto';
    // Listen from the start: a source can fail while the sample is being judged, when nothing
    // else is listening, and an 'error' without a listener would crash the process.
    const onSourceError = (error: Error) => this.#fail(sourceError(error, name, this.#sink.path));
    source.on('error', onSourceError);
    let stream = source;
    let compress = choice === 'deflate';
    const sampleBytes = this.#options.auto?.sampleBytes ?? 64 * 1024;
    // Small entries are read whole and handed to yazl as buffers, whatever the compression (a
    // stored one gets sizes and CRC in its local header and skips the per-entry stream plumbing).
    if (choice === 'auto' || (options.size !== undefined && options.size <= sampleBytes)) {
      this.#currentSource = source;
      const peeked = await this.#race(peekStart(source, sampleBytes).catch((error: unknown) => {
        throw sourceError(error, name, this.#sink.path);
      }));
      if (peeked.complete) {
        if (options.size !== undefined && options.size !== peeked.head.length) throw sizeMismatchError(name, options.size, peeked.head.length, this.#sink.path);
        return this.#addWholeBuffer(peeked.head, name, options);
      }
      if (choice === 'auto') compress = await this.#race(this.#deflatePays(peeked.head));
      stream = peeked.rest!;
    }
    this.#currentSource = stream;
    if (stream !== source) stream.on('error', onSourceError);
    const zipOptions = {
      ...this.#entryOptions(options),
      compress,
      ...(compress ? { compressionLevel: this.#level } : {}),
      ...(options.size === undefined ? {} : { size: options.size }),
    };
    this.#zip.addReadStreamLazy(name, zipOptions, (callback) => {
      callback(null, stream);
      // After yazl has piped it: counting never competes with the pipe for the first chunk.
      stream.on('data', (chunk: Buffer) => (this.#counts.bytesIn += chunk.length));
      this.#pipedSource = stream;
    });
    try {
      await this.#race(finished(stream, { writable: false }).catch((error: unknown) => {
        throw sourceError(error, name, this.#sink.path);
      }));
    } finally {
      this.#pipedSource = undefined;
    }
    this.#counts.entries++;
    if (compress) this.#counts.deflated++;
    else this.#counts.stored++;
  }

  async #addWholeBuffer(buffer: Buffer, name: string, options: Omit<ZipEntryOptions, 'size'>): Promise<void> {
    const choice = options.compress ?? this.#options.compression ?? 'auto';
    const compress = choice === 'deflate' || (choice === 'auto' && (await this.#deflatePays(buffer)));
    // yazl keeps a stored entry's buffer until the zip ends. A small slice of a large chunk
    // would pin the whole chunk (thousands of small files, 64 KiB each), so keep a copy instead.
    if (!compress && buffer.buffer.byteLength > 2 * buffer.length) buffer = Buffer.from(buffer);
    if (compress) {
      // yazl's addBuffer starts its deflate at once, each with its own zlib state (about
      // 300 KiB): thousands of small files arriving faster than the thread pool deflates them
      // would hold hundreds of MiB. A lazy stream is deflated only when its turn comes.
      const options_ = { ...this.#entryOptions(options), compress, compressionLevel: this.#level, size: buffer.length };
      this.#zip.addReadStreamLazy(name, options_, (callback) => callback(null, Readable.from([buffer], { objectMode: false })));
    } else {
      this.#zip.addBuffer(buffer, name, { ...this.#entryOptions(options), compress });
    }
    this.#counts.bytesIn += buffer.length;
    this.#counts.entries++;
    if (compress) this.#counts.deflated++;
    else this.#counts.stored++;
  }

  #deflatePays(sample: Buffer): Promise<boolean> {
    return deflateWorthIt(sample, this.#level, this.#options.auto?.minSavings ?? 0.1);
  }

  get #level(): number {
    return this.#options.level ?? 6;
  }

  #entryOptions(options: Pick<ZipEntryOptions, 'mtime' | 'mode'>) {
    const mode = options.mode ?? 0o100644;
    // Permission bits alone mean a regular file.
    return { mtime: this.#mtime(options.mtime), mode: (mode & 0o170000) === 0 ? 0o100000 | mode : mode, ...this.#timestampOption() };
  }

  #mtime(mtime: Date | undefined): Date {
    if (this.#options.deterministic) return DETERMINISTIC_MTIME;
    return clampZipMtime(mtime ?? new Date());
  }

  #timestampOption(): { forceDosTimestamp?: boolean } {
    return this.#options.deterministic ? { forceDosTimestamp: true } : {};
  }

  /** Runs `task` after every earlier call, so entries go in one at a time and in call order. */
  #enqueue<T>(name: string | undefined, task: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#failure) {
        await this.#abandoned;
        throw this.#failure;
      }
      if (this.#state !== 'open') {
        throw new CompressionError(`the zip was already ${this.#state === 'done' ? 'finalized' : 'being finalized'}`, { reason: 'INVALID_STATE', ...(name === undefined ? {} : { entryPath: name }) });
      }
      this.#currentName = name;
      if (name !== undefined && (await this.#governor.admit(() => this.#sink.drained()))) {
        this.#logger.warn('zip intake paused for memory', { rssBytes: this.#governor.peakRssBytes, softLimitBytes: this.#governor.softLimitBytes });
      }
      try {
        const result = await task();
        if (name !== undefined) this.#report(name);
        // Entries added in a tight loop never give the event loop a turn: shelve here too.
        this.#shelf.shelve();
        return result;
      } catch (error) {
        const typed = this.#failure ?? (isStorageError(error) ? error : sourceError(error, name, this.#sink.path));
        // An invalid name leaves the zip usable; anything else has left it half-written.
        if (!(typed instanceof CompressionError && typed.reason === 'INVALID_NAME')) this.#fail(typed);
        await this.#abandoned;
        throw this.#failure ?? typed;
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#failedSignal]);
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#stopTimers();
    this.#currentSource?.destroy();
    this.#abandoned = this.#sink.abandon();
    this.#rejectFailed(error);
  }

  #stopTimers(): void {
    if (this.#progressTimer) clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
    this.#stopMemoryWatch();
  }

  #report(currentEntry: string | undefined, phase = 'compressing'): void {
    const { onProgress, totalBytes, totalFiles } = this.#options;
    if (!onProgress) return;
    const bytesProcessed = this.#counts.bytesIn;
    onProgress({
      currentPhase: phase,
      filesProcessed: this.#counts.entries,
      totalFiles,
      bytesProcessed,
      totalBytes,
      diskUsage: this.#sink.path === undefined ? 0 : this.#sink.bytesWritten,
      cleanupPerformed: false,
      estimatedRemaining: estimateRemainingMs(bytesProcessed, totalBytes, Date.now() - this.#started),
      ...(currentEntry === undefined ? {} : { currentEntry }),
    });
  }

  #outputField(): { outputPath?: string } {
    return this.#sink.path === undefined ? {} : { outputPath: this.#sink.path };
  }
}

/** The latest time the Info-ZIP extended timestamp holds (2038-01-19T03:14:07Z). */
const MAX_EXTENDED_TIMESTAMP_MS = 0x7fffffff * 1000;

/**
 * yazl 3 clamps the extended timestamp to a signed 32-bit range and then writes it unsigned, so
 * a time before 1970 throws a RangeError inside its pump, where nothing can catch it and the zip
 * never finishes (found by fuzzing: test/fixtures/fuzz/mtime-before-1970-crashes-repackage-in-yazl.tar).
 * Times are clamped to what the field holds; an invalid Date becomes the epoch.
 */
function clampZipMtime(mtime: Date): Date {
  const ms = mtime.getTime();
  if (!Number.isFinite(ms) || ms < 0) return new Date(0);
  return ms > MAX_EXTENDED_TIMESTAMP_MS ? new Date(MAX_EXTENDED_TIMESTAMP_MS) : mtime;
}
