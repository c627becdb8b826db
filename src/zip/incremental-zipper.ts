import { createReadStream } from 'node:fs';
import { lstat, readlink, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CompressionError, ConfigurationError, isStorageError } from '../errors/index.js';
import { silentLogger, type StorageLogger } from '../observe/logger.js';
import { estimateRemainingMs } from '../observe/progress.js';
import { walkSorted } from '../storage/walk-sorted.js';
import { CentralDirectory } from './central-directory.js';
import { AUTO_SAMPLE_BYTES, deflatePays, planMethod, type MethodPlan, type ZipCompression } from './compression-choice.js';
import { crc32 } from './crc32.js';
import { MemoryGovernor } from './memory-governor.js';
import { OrderedOutput } from './ordered-output.js';
import { defaultDeflateWorkers, segmentDeflater } from './deflate-pool.js';
import { dictionaryAfter, SEGMENT_BYTES, type SegmentDeflater } from './segment-deflate.js';
import { SegmentReader, type ByteSource } from './segment-reader.js';
import { checkZipEntryName } from './zip-entry-name.js';
import { sizeMismatchError, sourceError } from './zip-errors.js';
import { openZipSink, type ZipOutput, type ZipSink } from './zip-output.js';
import { reserveZipSpace, type CreateZipStreamingOptions } from './zip-space.js';
import type { IncrementalZipperOptions, ZipEntryOptions, ZipResult } from './zip-types.js';
import { dataDescriptor, dosDateTime, endOfCentralDirectory, localFileHeader, ZIP32_LIMIT, type ZipEntryRecord } from './zip-records.js';

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

/** Pending output the writer may hold: a few segments in flight, never a whole entry of any size. */
const WINDOW_BYTES = 8 * SEGMENT_BYTES;
const SOURCE_HIGH_WATER_MARK = 1024 * 1024;
/** The latest time the Info-ZIP extended timestamp holds (2038-01-19T03:14:07Z). */
const MAX_EXTENDED_TIMESTAMP_MS = 0x7fffffff * 1000;

/**
 * Writes a zip one entry at a time with backpressure from the output back to each source, so
 * memory stays flat whatever the number and sizes of entries: each entry's data is written as
 * it is read, and what is kept of it afterwards is its central directory header, as bytes.
 * ZIP64 is used whenever needed.
 *
 * @example
 * ```ts
 * const zipper = new IncrementalZipper('/tmp/out.zip', { compression: 'auto' });
 * await zipper.addFileStreaming('/models/weights.bin', 'model/weights.bin');
 * await zipper.addBuffer(JSON.stringify({ name: 'detector' }), 'manifest.json');
 * const { entries, bytesWritten, sha256 } = await zipper.finalize();
 * ```
 */
export class IncrementalZipper {
  readonly #options: IncrementalZipperOptions;
  readonly #sink: ZipSink;
  readonly #output: OrderedOutput;
  readonly #directory = new CentralDirectory();
  readonly #deflater: SegmentDeflater;
  readonly #governor: MemoryGovernor;
  readonly #logger: StorageLogger;
  readonly #level: number;
  readonly #started = Date.now();
  readonly #failureListeners = new Set<(error: Error) => void>();
  #failure: Error | undefined;
  #abandoned: Promise<void> = Promise.resolve();
  #queue: Promise<unknown> = Promise.resolve();
  #state: 'open' | 'finalizing' | 'done' = 'open';
  #reader: SegmentReader | undefined;
  /** The entry's source when it is a stream: destroyed on failure, which also ends a pending read. */
  #source: Readable | undefined;
  #currentName: string | undefined;
  #counts = { entries: 0, deflated: 0, stored: 0, bytesIn: 0 };
  #progressTimer: NodeJS.Timeout | undefined;

  constructor(output: ZipOutput, options: IncrementalZipperOptions = {}) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#governor = new MemoryGovernor(options.memory);
    this.#level = options.level ?? 6;
    this.#deflater = segmentDeflater(checkWorkers(options.deflateWorkers ?? defaultDeflateWorkers()));
    if (!Number.isInteger(this.#level) || this.#level < 1 || this.#level > 9) {
      throw new CompressionError(`compression level ${this.#level} is not an integer from 1 to 9`, { reason: 'INVALID_STATE', suggestion: 'pass level 1 (fastest) to 9 (smallest); 6 is the default' });
    }
    this.#sink = openZipSink(output, {
      onError: (error) => this.#fail(error),
      ...(options.overwrite === undefined ? {} : { overwrite: options.overwrite }),
      ...(options.totalBytes === undefined ? {} : { expectedBytes: options.totalBytes }),
    });
    this.#output = new OrderedOutput(this.#sink, WINDOW_BYTES, (error) => this.#fail(isStorageError(error) ? error : sourceError(error, this.#currentName, this.#sink.path)));
    const { signal } = options;
    if (signal) {
      const onAbort = () => this.#fail(new CompressionError('writing the zip was aborted', { reason: 'ABORTED', cause: signal.reason, ...this.#outputField() }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    if (options.onProgress) this.#progressTimer = setInterval(() => this.#report(this.#currentName), 500).unref();
  }

  /**
   * Zips a directory tree into `zipPath` one file at a time, in sorted order, after checking
   * (or reserving) the space the zip needs; see {@link createZipStreaming}.
   *
   * @example
   * ```ts
   * await IncrementalZipper.createZipStreaming('/tmp/model', '/tmp/model.zip', { deleteAfterAdd: true });
   * ```
   */
  static async createZipStreaming(sourceDir: string, zipPath: string, options: CreateZipStreamingOptions = {}): Promise<ZipResult> {
    const { deleteAfterAdd = false, skipSpaceCheck: _skip, storage: _storage, ...zipperOptions } = options;
    const plan = await reserveZipSpace(sourceDir, zipPath, options);
    try {
      const zipper = new IncrementalZipper(zipPath, { totalBytes: plan.totalBytes, totalFiles: plan.totalFiles, ...zipperOptions });
      try {
        for await (const item of walkSorted(sourceDir)) {
          if (item.type === 'directory') await zipper.addDirectoryEntry(item.relativePath, { mode: item.mode, mtime: item.mtime });
          else if (item.type === 'symlink') await zipper.addSymlink(item.relativePath, await readlink(item.absolutePath), { mtime: item.mtime });
          else if (item.type === 'file') {
            await zipper.addFileStreaming(item.absolutePath, item.relativePath);
            if (deleteAfterAdd) await rm(item.absolutePath, { force: true });
          }
        }
      } catch (error) {
        // The zipper removes its output on its own failures; a failed walk must do the same.
        await zipper.abort(`walking ${sourceDir} failed`);
        throw error;
      }
      return await zipper.finalize();
    } finally {
      plan.release();
    }
  }

  /** Bytes handed to the output so far. */
  get bytesWritten(): number {
    return this.#sink.bytesWritten;
  }

  /**
   * Adds an entry whose content is read from `source`: a `Readable`, or any async iterable of
   * bytes (size may be unknown). Resolves once the source has been read to its end into the zip;
   * call the next add after that.
   */
  addStream(source: Readable | AsyncIterable<Uint8Array>, name: string, options: ZipEntryOptions = {}): Promise<void> {
    // Listen at once: a stream that fails while it waits its turn must not crash the process.
    const onSourceError = (error: Error) => this.#fail(sourceError(error, name, this.#sink.path));
    if (source instanceof Readable) source.on('error', onSourceError);
    return this.#enqueue(name, () => this.#addContent(source, checkZipEntryName(name), options)).finally(() => {
      if (source instanceof Readable) source.off('error', onSourceError);
    });
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
      stream.on('error', () => undefined); // its errors reach us through the read that fails
      await this.#addContent(stream, entryName, { size: stats.size, mtime: stats.mtime, mode: stats.mode, ...options });
    });
  }

  /** Adds an entry from memory (a string is written as UTF-8). */
  addBuffer(data: Buffer | string, name: string, options: Omit<ZipEntryOptions, 'size'> = {}): Promise<void> {
    return this.#enqueue(name, () => this.#addContent([typeof data === 'string' ? Buffer.from(data) : data], checkZipEntryName(name), options));
  }

  /** Adds a directory entry (`name/`). Parents are implied by file names; this keeps empty directories and modes. */
  addDirectoryEntry(name: string, options: Pick<ZipEntryOptions, 'mtime' | 'mode'> = {}): Promise<void> {
    return this.#enqueue(name, async () => {
      const entryName = `${checkZipEntryName(name.replace(/\/+$/, ''))}/`;
      this.#addWhole(this.#record(entryName, 0o40000 | ((options.mode ?? 0o755) & 0o7777), options.mtime), Buffer.alloc(0), 0);
      this.#counts.entries++;
    });
  }

  /** Adds a symbolic link entry (mode `0o120777`, the target as content), which unzip restores as a link. */
  addSymlink(name: string, target: string, options: Pick<ZipEntryOptions, 'mtime'> = {}): Promise<void> {
    return this.#enqueue(name, async () => {
      const content = Buffer.from(target);
      this.#addWhole(this.#record(checkZipEntryName(name), 0o120777, options.mtime), content, 0);
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
      // The directory's place is known only once every entry before it is written.
      await this.#output.flushed();
      if (this.#failure) throw this.#failure;
      const offset = this.#output.offset;
      for (const slab of this.#directory.slabs()) this.#output.push(slab);
      this.#output.push(endOfCentralDirectory({ entries: this.#directory.entries, offset, size: this.#directory.byteLength, forceZip64: this.#options.forceZip64 ?? false }));
      await this.#output.flushed();
      if (this.#failure) throw this.#failure;
      this.#sink.end();
      await this.#race(this.#sink.closed());
      this.#state = 'done';
      this.#stopTimers();
      this.#report(undefined, 'done');
      return {
        entries: this.#counts.entries,
        bytesWritten: this.#sink.bytesWritten,
        sha256: this.#sink.sha256(),
        bytesIn: this.#counts.bytesIn,
        deflatedEntries: this.#counts.deflated,
        storedEntries: this.#counts.stored,
        peakRssBytes: Math.max(this.#governor.peakRssBytes, process.memoryUsage.rss()),
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

  /**
   * One entry's content: read in segments; an entry that fits one segment is written whole (sizes
   * and CRC in its local header), a larger one streams (sizes and CRC in a data descriptor).
   */
  async #addContent(source: ByteSource | Iterable<Buffer>, name: string, options: ZipEntryOptions): Promise<void> {
    const reader = (this.#reader = new SegmentReader(toByteSource(source)));
    this.#source = source instanceof Readable ? source : undefined;
    try {
      const choice = options.compress ?? this.#options.compression ?? 'auto';
      const mode = fileMode(options.mode);
      const first = await reader.segment(SEGMENT_BYTES);
      if (this.#failure) throw this.#failure;
      if (first.final) {
        checkSize(name, options.size, first.data.length, this.#sink.path);
        const record = this.#record(name, mode, options.mtime);
        const sampleBytes = this.#options.auto?.sampleBytes ?? AUTO_SAMPLE_BYTES;
        if (choice === 'auto' && first.data.length > sampleBytes) this.#addWholeFromTrial(record, first.data, sampleBytes);
        else this.#addWhole(record, first.data, planMethod(choice, first.data, this.#level, this.#options.auto, true));
        this.#counts.entries++;
        this.#counts.bytesIn += first.data.length;
      } else {
        await this.#addStreamed(reader, first.data, name, mode, choice, options);
      }
    } catch (error) {
      throw this.#failure ?? (isStorageError(error) ? error : sourceError(error, name, this.#sink.path));
    } finally {
      this.#reader = undefined;
      this.#source = undefined;
    }
  }

  async #addStreamed(reader: SegmentReader, first: Buffer, name: string, mode: number, choice: ZipCompression, options: ZipEntryOptions): Promise<void> {
    const method = planMethod(choice, first, this.#level, this.#options.auto) === 8 ? 8 : 0;
    const size = options.size;
    // Sizes go in 64-bit fields unless the entry is known to stay well under 4 GiB compressed.
    const zip64 = size === undefined || size * 1.001 + SEGMENT_BYTES > ZIP32_LIMIT;
    const record = this.#record(name, mode, options.mtime, method, { hasDataDescriptor: true, zip64 });
    let dataStart = 0;
    this.#output.push((offset) => {
      record.localHeaderOffset = offset;
      const header = localFileHeader(record);
      dataStart = offset + header.length;
      return header;
    });
    let crc = 0;
    if (method === 8) {
      let segment = first;
      let dictionary: Buffer | undefined;
      for (let final = false; ; ) {
        crc = crc32(segment, crc);
        this.#output.push(this.#deflater.deflate({ data: segment, dictionary, final, level: this.#level }), segment.length);
        if (final) break;
        dictionary = dictionaryAfter(segment);
        await this.#admit();
        ({ data: segment, final } = await reader.segment(SEGMENT_BYTES));
      }
    } else {
      crc = crc32(first);
      this.#output.push(first);
      for await (const chunk of reader.chunks()) {
        crc = crc32(chunk, crc);
        // Weighed by the buffer it pins: a slice keeps its whole parent chunk alive until written.
        this.#output.push(chunk, chunk.buffer.byteLength);
        await this.#admit();
      }
    }
    const length = reader.bytesRead;
    checkSize(name, size, length, this.#sink.path);
    this.#counts.bytesIn += length;
    this.#output.push((offset) => {
      record.crc32 = crc;
      record.uncompressedSize = length;
      record.compressedSize = offset - dataStart;
      this.#directory.add(record);
      return dataDescriptor(record);
    });
    this.#counts.entries++;
    if (method === 8) this.#counts.deflated++;
    else this.#counts.stored++;
  }

  /**
   * An entry whose bytes are all at hand: header and data queued together, sizes and CRC in the
   * header. With `'if-it-pays'` the method is settled when the deflate is back (it may be on a
   * worker thread): kept if it saves enough, else the content is stored.
   */
  #addWhole(record: ZipEntryRecord, content: Buffer, plan: MethodPlan): void {
    const place = this.#placeWhole(record, content);
    if (plan === 0) return this.#output.push(place(0, content), content.length);
    const deflated = this.#deflater.deflate({ data: content, dictionary: undefined, final: true, level: this.#level });
    const settle = (bytes: Buffer) => (plan === 8 || deflatePays(bytes.length, content.length, this.#options.auto) ? place(8, bytes) : place(0, content));
    this.#output.push(Buffer.isBuffer(deflated) ? settle(deflated) : deflated.then(settle), content.length);
  }

  /**
   * A whole entry larger than the `'auto'` sample: the sample is deflated first as the first
   * segment of the entry's deflate stream (on a worker when there are workers). If that does not
   * pay, the entry is stored; if it does, the rest is deflated against the sample as dictionary
   * and appended, so the trial is never thrown away and redone (it was, once per entry, on the
   * main thread: a third of the deflate work on 16 to 256 KiB files, docs/performance.md).
   */
  #addWholeFromTrial(record: ZipEntryRecord, content: Buffer, sampleBytes: number): void {
    const place = this.#placeWhole(record, content);
    const sample = content.subarray(0, sampleBytes);
    const level = this.#level;
    const trial = this.#deflater.deflate({ data: sample, dictionary: undefined, final: false, level });
    const decide = (head: Buffer) => {
      if (!deflatePays(head.length, sample.length, this.#options.auto)) return place(0, content);
      const tail = this.#deflater.deflate({ data: content.subarray(sampleBytes), dictionary: dictionaryAfter(sample), final: true, level });
      const join = (rest: Buffer) => place(8, Buffer.concat([head, rest], head.length + rest.length));
      return Buffer.isBuffer(tail) ? join(tail) : tail.then(join);
    };
    this.#output.push(Buffer.isBuffer(trial) ? decide(trial) : trial.then(decide), content.length);
  }

  /** Sets a whole entry's CRC and size, and returns how to place it once its method and bytes are known. */
  #placeWhole(record: ZipEntryRecord, content: Buffer): (method: 0 | 8, bytes: Buffer) => (offset: number) => Buffer {
    record.crc32 = crc32(content);
    record.uncompressedSize = content.length;
    return (method: 0 | 8, bytes: Buffer) => (offset: number) => {
      record.method = method;
      record.compressedSize = bytes.length;
      record.localHeaderOffset = offset;
      this.#directory.add(record);
      if (record.mode >>> 12 === 0o10) {
        if (method === 8) this.#counts.deflated++;
        else this.#counts.stored++;
      }
      return Buffer.concat([localFileHeader(record), bytes]);
    };
  }

  /** Waits for room in the output window, and for the output to drain when memory is high. */
  async #admit(): Promise<void> {
    // The queue wakes every waiter when the zip fails, so no race is needed here.
    await this.#output.room();
    if (this.#failure) throw this.#failure;
    if (await this.#governor.admit(() => this.#output.flushed())) {
      this.#logger.warn('zip intake paused for memory', { rssBytes: this.#governor.peakRssBytes, softLimitBytes: this.#governor.softLimitBytes });
    }
  }

  #record(name: string, mode: number, mtime: Date | undefined, method: 0 | 8 = 0, layout: { hasDataDescriptor: boolean; zip64: boolean } = { hasDataDescriptor: false, zip64: false }): ZipEntryRecord {
    const time = this.#options.deterministic ? DETERMINISTIC_MTIME : clampZipMtime(mtime ?? new Date());
    return {
      name: Buffer.from(name),
      method,
      mode,
      ...dosDateTime(time),
      // A deterministic zip leaves out the UTC field: the DOS fields alone read the same everywhere.
      unixTime: this.#options.deterministic ? undefined : Math.floor(time.getTime() / 1000),
      ...layout,
      crc32: 0,
      compressedSize: 0,
      uncompressedSize: 0,
      localHeaderOffset: 0,
    };
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
      try {
        if (name !== undefined) await this.#admit();
        const result = await task();
        if (name !== undefined) this.#report(name);
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

  /**
   * Settles with `promise`, or rejects as soon as the zip fails. The listener on the failure
   * promise is removed when `promise` settles first: racing against a promise that never settles
   * would otherwise keep every result alive (a heap snapshot showed each entry's buffer retained
   * that way).
   */
  #race<T>(promise: Promise<T>): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<T>((resolve, reject) => {
      const onFailure = (error: Error) => reject(error);
      this.#failureListeners.add(onFailure);
      promise.then(
        (value) => {
          this.#failureListeners.delete(onFailure);
          resolve(value);
        },
        (error: unknown) => {
          this.#failureListeners.delete(onFailure);
          reject(error);
        },
      );
    });
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#stopTimers();
    this.#output.stop();
    this.#source?.destroy();
    void this.#reader?.close();
    this.#abandoned = this.#sink.abandon();
    for (const listener of this.#failureListeners) listener(error);
    this.#failureListeners.clear();
  }

  #stopTimers(): void {
    if (this.#progressTimer) clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
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

/** An array of buffers (addBuffer) read as a source without making a stream of it. */
function toByteSource(source: ByteSource | Iterable<Buffer>): ByteSource {
  if (Symbol.asyncIterator in source) return source;
  const iterator = (source as Iterable<Buffer>)[Symbol.iterator]();
  return { [Symbol.asyncIterator]: () => ({ next: async () => iterator.next() }) };
}

function checkWorkers(workers: number): number {
  if (!Number.isSafeInteger(workers) || workers < 1) throw new ConfigurationError('deflateWorkers', 'must be a whole number from 1', workers);
  return workers;
}

/** Permission bits alone mean a regular file. */
function fileMode(mode = 0o100644): number {
  return (mode & 0o170000) === 0 ? 0o100000 | mode : mode;
}

function checkSize(name: string, declared: number | undefined, actual: number, outputPath: string | undefined): void {
  if (declared !== undefined && declared !== actual) throw sizeMismatchError(name, declared, actual, outputPath);
}

/**
 * The extended timestamp holds seconds since 1970 in 32 bits, so a time before 1970 or after
 * 2038 is clamped to what the field holds (found by fuzzing: a tar with a pre-1970 mtime, see
 * test/fixtures/fuzz/mtime-before-1970-crashes-repackage-in-yazl.tar); an invalid Date becomes the epoch.
 */
function clampZipMtime(mtime: Date): Date {
  const ms = mtime.getTime();
  if (!Number.isFinite(ms) || ms < 0) return new Date(0);
  return ms > MAX_EXTENDED_TIMESTAMP_MS ? new Date(MAX_EXTENDED_TIMESTAMP_MS) : mtime;
}
