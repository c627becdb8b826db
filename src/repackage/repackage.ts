import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { CompressionError, ExtractionError } from '../errors.js';
import { checkHardlinkTarget } from '../extract/policy/check-link-target.js';
import { resolveLimits, type ExtractionLimits } from '../extract/policy/limits.js';
import type { ArchiveEntry, ArchiveSource } from '../extract/types.js';
import type { StorageLogger } from '../observe/logger.js';
import type { OperationOptions } from '../observe/progress.js';
import { IncrementalZipper, type ZipCompression, type ZipOutput } from '../zip/index.js';
import { openEntries } from './open-entries.js';

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
  /** The archive: a path (tar, tar.gz or zip, by magic bytes), a `Readable` (tar, tar.gz), or a random-access reader (any). */
  source: ArchiveSource | AsyncIterable<ArchiveEntry>;
  /** The zip: a path, or any `Writable` (see `s3UploadStream`). */
  output: ZipOutput;
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
  let peakRss = process.memoryUsage.rss();
  const zipper = new IncrementalZipper(options.output, {
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.deterministic === undefined ? {} : { deterministic: options.deterministic }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
    ...(options.onProgress === undefined ? {} : { onProgress: (p) => options.onProgress!({ ...p, currentPhase: p.currentPhase === 'done' ? 'done' : 'repackaging' }) }),
  });
  const written = new Set<string>();
  // Archive paths of file entries: written (to their zip name) or left out by the caller.
  const files = new Map<string, string | null>();
  const pathLimits = resolveLimits(options.limits);
  let skipped = 0;
  try {
    const entries = isEntryIterable(options.source) ? options.source : openEntries(options.source, options.limits, options.signal);
    for await (const entry of entries) {
      const name = options.filter && !options.filter(entry) ? null : options.rename ? options.rename(entry.path, entry) : entry.path;
      const dropped = name === null || (options.links === 'skip' && (entry.type === 'symlink' || entry.type === 'hardlink'));
      const hardLinkTarget = !dropped && entry.type === 'hardlink' ? hardLinkTargetIn(files, entry, pathLimits) : undefined;
      if (dropped || hardLinkTarget === null) {
        if (entry.type === 'file') files.set(entry.path, null);
        skipped++;
        await entry.skip();
        continue;
      }
      const zipName = name.replace(/\/+$/, '');
      if (entry.type === 'directory') {
        await entry.skip();
        // Tar files often repeat folder entries; one is enough.
        if (!written.has(`${zipName}/`)) await zipper.addDirectoryEntry(zipName, { mode: entry.mode, mtime: entry.mtime });
        written.add(`${zipName}/`);
        continue;
      }
      claimName(written, zipName);
      if (entry.type === 'file') {
        files.set(entry.path, zipName);
        await zipper.addStream(entry.body, zipName, { size: entry.size, mode: entry.mode, mtime: entry.mtime });
      } else {
        await entry.skip();
        const linkTarget = hardLinkTarget === undefined ? symlinkTarget(entry) : posix.relative(posix.dirname(zipName), hardLinkTarget) || posix.basename(hardLinkTarget);
        await zipper.addSymlink(zipName, linkTarget, { mtime: entry.mtime });
      }
    }
    for (const extra of options.extraEntries ?? []) {
      claimName(written, extra.name);
      const meta = { mode: extra.mode ?? 0o644 };
      if (extra.data instanceof Readable) await zipper.addStream(extra.data, extra.name, meta);
      else await zipper.addBuffer(extra.data, extra.name, meta);
    }
    const result = await zipper.finalize();
    peakRss = Math.max(peakRss, result.peakRssBytes, process.memoryUsage.rss());
    return {
      entries: result.entries,
      skippedEntries: skipped,
      bytesIn: result.bytesIn,
      sourceBytes: await sourceSize(options.source),
      bytesOut: result.bytesWritten,
      sha256: result.sha256,
      durationMs: Date.now() - started,
      peakRssBytes: peakRss,
      deflatedEntries: result.deflatedEntries,
      storedEntries: result.storedEntries,
    };
  } catch (error) {
    // Removes a partly written output file; the error the caller sees is the first one.
    await zipper.abort(`repackaging failed: ${(error as Error)?.message ?? String(error)}`);
    throw error;
  }
}

function isEntryIterable(source: RepackageOptions['source']): source is AsyncIterable<ArchiveEntry> {
  return typeof source === 'object' && source !== null && !(source instanceof Readable) && Symbol.asyncIterator in source && !('createReadStream' in source);
}

function claimName(written: Set<string>, name: string): void {
  if (written.has(name)) {
    throw new ExtractionError(`two entries would be written to the zip as ${JSON.stringify(name)}`, {
      reason: 'DUPLICATE_ENTRY',
      entryPath: name,
      suggestion: 'make rename() map each entry to a distinct name, or drop one with filter',
    });
  }
  written.add(name);
}

/** A symlink keeps its target as the archive wrote it. */
function symlinkTarget(entry: ArchiveEntry): string {
  if (entry.linkTarget === undefined) {
    throw new CompressionError('a link entry has no target', { reason: 'SOURCE_FAILED', entryPath: entry.path });
  }
  return entry.linkTarget;
}

/**
 * A hard link names a file earlier in the archive by its archive path; in the zip it becomes a
 * symlink to that file's zip name. Returns that name, or `null` when the caller left the file
 * out (the link is left out too). A link to anything else is refused, as when extracting.
 */
function hardLinkTargetIn(files: ReadonlyMap<string, string | null>, entry: ArchiveEntry, limits: ExtractionLimits): string | null {
  // Normalised as extraction does (`dir//a`, `./dir/./a` and `dir/a/` all name `dir/a`).
  const target = checkHardlinkTarget(entry.path, symlinkTarget(entry), limits);
  const zipName = files.get(target);
  if (zipName === undefined) {
    throw new ExtractionError(`hard link target ${JSON.stringify(target)} is not a file earlier in this archive`, {
      reason: 'LINK_ESCAPE',
      entryPath: entry.path,
      suggestion: 'a hard link can only name a regular file that comes before it in the archive',
    });
  }
  return zipName;
}

async function sourceSize(source: RepackageOptions['source']): Promise<number | undefined> {
  if (typeof source === 'string') return (await stat(source)).size;
  if (typeof source === 'object' && source !== null && 'createReadStream' in source && 'size' in source) return source.size;
  return undefined;
}
