import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { CompressionError } from '../errors/index.js';
import { resolveLimits, type ExtractionLimits } from '../extract/policy/limits.js';
import { checkStripCount } from '../extract/policy/strip-components.js';
import type { ArchiveEntry } from '../extract/types.js';
import type { StorageLogger } from '../observe/logger.js';
import type { OperationOptions } from '../observe/progress.js';
import type { ZipCompression } from '../zip/compression-choice.js';
import { IncrementalZipper } from '../zip/incremental-zipper.js';
import type { ZipOutput } from '../zip/zip-output.js';
import { openEntries, type RepackageSource } from './open-entries.js';
import { ZipNames } from './zip-names.js';

/** A generated file added to the zip (a `manifest.json`, a recipe). */
export interface ExtraEntry {
  /** Name in the zip. */
  name: string;
  /** Content: bytes, UTF-8 text, or a stream. */
  data: Buffer | string | Readable;
  /** Unix permission bits. Default `0o644`. */
  mode?: number;
}

/** Options of {@link repackage}. */
export interface RepackageOptions extends OperationOptions {
  /**
   * The archive: a path (tar, tar.gz or zip, by magic bytes), a `Readable` (tar, tar.gz), a
   * random-access reader (any), or entries you already have (e.g. from `StreamingExtractor.entries()`),
   * which pass the same safety policy as an archive's.
   */
  source: RepackageSource;
  /** The zip: a path (its folder is created), or any `Writable` (see `s3UploadStream`). */
  output: ZipOutput;
  /** Replace an existing output file, only once the new zip is whole (a failed run leaves it as it was; the output may even be the source). Default false: an existing file is refused with `OUTPUT_EXISTS` and left untouched. */
  overwrite?: boolean;
  /** Leading folders removed from every entry's name before `filter` and `rename`, as `tar --strip-components`. Default 0. */
  stripComponents?: number;
  /** Maps each entry's path to its name in the zip; `null` drops the entry. Default: unchanged. */
  rename?: (path: string, entry: ArchiveEntry) => string | null;
  /** Keeps only entries for which this returns true (checked before `rename`). */
  filter?: (entry: ArchiveEntry) => boolean;
  /** Generated files added after the archive's entries. */
  extraEntries?: readonly ExtraEntry[];
  /** `'auto'` (default), `'deflate'` or `'store'`. */
  compression?: ZipCompression;
  /** zlib level 1 to 9. Default 6. */
  level?: number;
  /** Worker threads that deflate while this thread reads and inflates: default `os.availableParallelism() - 1` (so 1, on this thread, with 2 cores); `1` deflates on this thread. Same bytes either way. */
  deflateWorkers?: number;
  /**
   * Inflate a tar.gz source on a worker thread: inflating and the rest (CRC, deflate, hashing,
   * writing) then overlap instead of taking turns. Same bytes. On 2 cores: 1.16x faster on the
   * 1 GiB model, 1.29x on two 1 GiB files, for 7 to 58 MiB more peak RSS (docs/performance.md,
   * "Gunzip on a worker thread"). Default false.
   */
  gunzipWorker?: boolean;
  /** Extraction limits (entries, depth, ratio...), applied to the source as when extracting. */
  limits?: Partial<ExtractionLimits>;
  /**
   * Links: `'preserve'` (default) writes symlinks as zip symlink entries (mode `0o120777`, the
   * target as content) and hard links as symlinks to their target's new name (a zip has no hard
   * links, and a copy would mean reading the target twice); `'skip'` leaves both out.
   */
  links?: 'preserve' | 'skip';
  /** Byte-identical zips for identical inputs (fixed times). */
  deterministic?: boolean;
  /** Uncompressed bytes expected, for progress (e.g. from a space estimate). */
  totalBytes?: number;
  /** Where warnings go. Default silent. */
  logger?: StorageLogger;
}

/** What {@link repackage} did. */
export interface RepackageResult {
  /** Entries written to the zip, extra entries included. */
  entries: number;
  /**
   * Entries of the source left out by `filter`, `rename` or `links: 'skip'`, and hard links
   * whose target file was left out that way (a zip link to nothing would be useless).
   */
  skippedEntries: number;
  /** Uncompressed bytes read from the source's entries and extra entries. */
  bytesIn: number;
  /** Size of the source archive, when it is a file or a random-access reader. */
  sourceBytes: number | undefined;
  /** Bytes written: the zip's size. */
  bytesOut: number;
  /** SHA-256 of the zip (lowercase hex), computed while it was written. */
  sha256: string;
  /** Wall-clock milliseconds. */
  durationMs: number;
  /** Highest resident set size sampled during the run. */
  peakRssBytes: number;
  /** Entries deflated and stored. */
  deflatedEntries: number;
  /** File entries stored without compression. */
  storedEntries: number;
}

/**
 * Transcodes a tar, tar.gz or zip into a zip, entry by entry, with nothing extracted to disk:
 * each entry's bytes flow from the source through the zipper to the output. The peak disk is
 * zero when the output is a stream (e.g. to S3), the zip alone when it is a file.
 *
 * @example
 * ```ts
 * await repackage({
 *   source: 'model.tar.gz',
 *   output: '/tmp/component.zip',
 *   rename: (path) => `jetson_xavier/${path}`,
 *   extraEntries: [{ name: 'manifest.json', data: JSON.stringify(manifest) }],
 * });
 * ```
 */
export async function repackage(options: RepackageOptions): Promise<RepackageResult> {
  const started = Date.now();
  // Resolved once, before anything is opened: a bad option fails without touching the output.
  const limits = resolveLimits(options.limits);
  const stripComponents = checkStripCount(options.stripComponents);
  const zipper = new IncrementalZipper(options.output, zipperOptions(options));
  const names = new ZipNames();
  let skipped = 0;
  try {
    for await (const entry of openEntries(options.source, { limits, stripComponents, signal: options.signal, gunzipWorker: options.gunzipWorker === true })) {
      const name = zipNameOf(entry, options);
      // A hard link becomes a symlink to its target's zip name; a target left out takes the link with it.
      const linkedFile = name !== null && entry.type === 'hardlink' ? names.fileFor(entry) : undefined;
      if (name === null || linkedFile === null) {
        if (entry.type === 'file') names.leftOut(entry.path);
        skipped++;
        await entry.skip();
        continue;
      }
      if (entry.type === 'directory') {
        await entry.skip();
        // Tar files often repeat folder entries; one is enough.
        if (names.claimFolder(name)) await zipper.addDirectoryEntry(name, { mode: entry.mode, mtime: entry.mtime });
        continue;
      }
      const claimed = names.claim(name);
      if (entry.type === 'file') {
        names.wrote(entry.path, claimed);
        await zipper.addStream(entry.chunks(), name, { size: entry.size, mode: entry.mode, mtime: entry.mtime });
      } else {
        await entry.skip();
        const target = linkedFile === undefined ? symlinkTarget(entry) : posix.relative(posix.dirname(name), linkedFile) || posix.basename(linkedFile);
        await zipper.addSymlink(name, target, { mtime: entry.mtime });
      }
    }
    for (const extra of options.extraEntries ?? []) {
      names.claim(extra.name);
      const meta = { mode: extra.mode ?? 0o644 };
      if (extra.data instanceof Readable) await zipper.addStream(extra.data, extra.name, meta);
      else await zipper.addBuffer(extra.data, extra.name, meta);
    }
    const result = await zipper.finalize();
    return {
      entries: result.entries,
      skippedEntries: skipped,
      bytesIn: result.bytesIn,
      sourceBytes: await sourceSize(options.source),
      bytesOut: result.bytesWritten,
      sha256: result.sha256,
      durationMs: Date.now() - started,
      peakRssBytes: result.peakRssBytes,
      deflatedEntries: result.deflatedEntries,
      storedEntries: result.storedEntries,
    };
  } catch (error) {
    // Removes a partly written output file; the error the caller sees is the first one.
    await zipper.abort(`repackaging failed: ${(error as Error)?.message ?? String(error)}`);
    throw error;
  }
}

function zipperOptions(options: RepackageOptions): ConstructorParameters<typeof IncrementalZipper>[1] {
  const { onProgress } = options;
  return {
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.deflateWorkers === undefined ? {} : { deflateWorkers: options.deflateWorkers }),
    ...(options.deterministic === undefined ? {} : { deterministic: options.deterministic }),
    ...(options.overwrite === undefined ? {} : { overwrite: options.overwrite }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
    ...(onProgress === undefined ? {} : { onProgress: (p) => onProgress({ ...p, currentPhase: p.currentPhase === 'done' ? 'done' : 'repackaging' }) }),
  };
}

/** The entry's name in the zip, or `null` when `filter`, `rename` or `links: 'skip'` leave it out. */
function zipNameOf(entry: ArchiveEntry, options: RepackageOptions): string | null {
  if (options.links === 'skip' && (entry.type === 'symlink' || entry.type === 'hardlink')) return null;
  if (options.filter && !options.filter(entry)) return null;
  const name = options.rename ? options.rename(entry.path, entry) : entry.path;
  return name === null ? null : name.replace(/\/+$/, '');
}

/** A symlink keeps its target as the archive wrote it. */
function symlinkTarget(entry: ArchiveEntry): string {
  if (entry.linkTarget === undefined) {
    throw new CompressionError('a link entry has no target', { reason: 'SOURCE_FAILED', entryPath: entry.path });
  }
  return entry.linkTarget;
}

async function sourceSize(source: RepackageSource): Promise<number | undefined> {
  if (typeof source === 'string') return (await stat(source)).size;
  if (typeof source === 'object' && source !== null && 'createReadStream' in source && 'size' in source) return source.size;
  return undefined;
}
