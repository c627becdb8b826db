import { ExtractionError } from '../errors/index.js';
import { throwIfAborted } from './entry-stream.js';
import { assertWithinLimit, resolveLimits, type ExtractionLimits } from './policy/limits.js';
import { normalizeEntryPath } from './policy/normalize-entry-path.js';
import { sanitizeMode } from './policy/sanitize-mode.js';
import type { RawEntry } from './readers/raw-entry.js';
import { readTarEntries } from './readers/tar-reader.js';
import { RangedReader } from './readers/ranged-reader.js';
import { ZipDirectory } from './readers/zip-directory.js';
import { openZip } from './readers/zip-reader.js';
import { openArchive, releaseIfOwned } from './sources/open-archive.js';
import type { ArchiveFormat, ArchiveSource, EntryType } from './types.js';

/** One line of an archive listing. */
export interface ArchiveInfoEntry {
  /** Normalised relative path. */
  path: string;
  /** What it is. */
  type: EntryType;
  /** Uncompressed size (0 for anything but files). */
  size: number;
  /** Mode after sanitising. */
  mode: number;
  /** Modification time. */
  mtime: Date;
  /** For links, when known without reading past the directory (tar: always; zip: never, the target is in the body). */
  linkTarget?: string;
}

/** Options of {@link getArchiveInfo}. */
export interface ArchiveInfoOptions {
  /** Ceilings (merged over the defaults). */
  limits?: Partial<ExtractionLimits>;
  /** Cancels the listing. */
  signal?: AbortSignal;
  /** Inflate a tar.gz on a worker thread (see `StreamingExtractorOptions.gunzipWorker`). */
  gunzipWorker?: boolean;
}

/** What {@link getArchiveInfo} returns. */
export interface ArchiveInfo {
  /** The format, from magic bytes. */
  format: ArchiveFormat;
  /** Every entry, in archive order. */
  entries: ArchiveInfoEntry[];
  /** Number of entries. */
  entryCount: number;
  /** Uncompressed bytes of all files. */
  totalBytes: number;
  /** True when the totals come from headers read in full (always, for a listing). */
  exact: boolean;
  /** The archive's own size, when known. */
  compressedBytes?: number;
}

const REFUSED = new Set(['character-device', 'block-device', 'fifo', 'unknown']);

function describe(raw: Pick<RawEntry, 'name' | 'kind' | 'size' | 'mode' | 'mtime' | 'linkTarget' | 'typeFlag'>, limits: ExtractionLimits): ArchiveInfoEntry | undefined {
  if (REFUSED.has(raw.kind)) {
    throw new ExtractionError(`entry is a ${raw.kind}, which is never created`, { reason: 'UNSUPPORTED_ENTRY_TYPE', entryPath: raw.name });
  }
  const path = normalizeEntryPath(raw.name, limits);
  if (path === '') return undefined;
  const type = raw.kind as EntryType;
  return {
    path,
    type,
    size: type === 'file' ? raw.size : 0,
    mode: sanitizeMode(raw.mode, type),
    mtime: raw.mtime,
    ...(raw.linkTarget === undefined ? {} : { linkTarget: raw.linkTarget }),
  };
}

/** The totals of a listing, without its entries. */
export type ArchiveTotals = Omit<ArchiveInfo, 'entries'>;

/**
 * Lists an archive without writing anything. Names pass the same policy as extraction (a
 * hostile name fails the listing with the same reason); link targets are listed, not judged.
 *
 * @example
 * ```ts
 * const info = await getArchiveInfo('model.tar.gz');
 * console.log(info.format, info.entryCount, info.totalBytes);
 * ```
 */
export async function getArchiveInfo(archive: ArchiveSource, options: ArchiveInfoOptions = {}): Promise<ArchiveInfo> {
  const entries: ArchiveInfoEntry[] = [];
  const totals = await visitArchiveEntries(archive, options, (entry) => entries.push(entry));
  return { ...totals, entries };
}

/**
 * {@link getArchiveInfo} that hands each entry to `visit` instead of keeping it: the space
 * estimate of a zip of 100,000 entries held a listing of 100,000 objects (about 30 MB of heap) only
 * to add up their sizes (docs/performance.md, "Memory").
 */
export async function visitArchiveEntries(
  archive: ArchiveSource,
  options: ArchiveInfoOptions,
  visit: (entry: ArchiveInfoEntry) => void,
): Promise<ArchiveTotals> {
  const limits = resolveLimits(options.limits);
  throwIfAborted(options.signal);
  const opened = await openArchive(archive, limits, { gunzipWorker: options.gunzipWorker === true });
  let entryCount = 0;
  let totalBytes = 0;
  const add = (entry: ArchiveInfoEntry | undefined): void => {
    if (entry === undefined) return;
    entryCount++;
    totalBytes += entry.size;
    visit(entry);
  };
  if (opened.format === 'zip') {
    let zip: Awaited<ReturnType<typeof openZip>> | undefined;
    try {
      const reader = new RangedReader(opened.source);
      zip = await openZip(opened.source, opened.label, reader);
      const directory = await ZipDirectory.read(zip, reader, limits, opened.label);
      for (let index = 0; index < directory.count; index++) {
        const { name, kind, mode, uncompressedSize, mtime } = directory.record(index);
        add(describe({ name, kind, mode, size: kind === 'file' ? uncompressedSize : 0, mtime }, limits));
      }
    } finally {
      zip?.close();
      await releaseIfOwned(opened.source);
    }
    return { format: 'zip', entryCount, totalBytes, exact: true, compressedBytes: opened.source.size };
  }
  for await (const raw of readTarEntries(opened.reader, limits)) {
    throwIfAborted(options.signal, raw.name);
    add(describe(raw, limits));
    assertWithinLimit('maxEntries', entryCount, limits.maxEntries, raw.name);
  }
  const compressedBytes = opened.archiveBytes ?? opened.compressedBytes();
  return { format: opened.format, entryCount, totalBytes, exact: true, ...(compressedBytes === undefined ? {} : { compressedBytes }) };
}
