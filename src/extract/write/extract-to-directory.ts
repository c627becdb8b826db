// The writer: takes checked entries from iterateEntries() and creates them under a
// destination, tracking everything it creates so any failure removes exactly that.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { lstat, mkdir, readdir, realpath, rename, statfs, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CleanupFailedError, ConfigurationError } from '../../errors/index.js';
import { toInsufficientStorageError } from '../../storage/disk-space.js';
import type { ProgressListener } from '../../observe/progress.js';
import { iterateEntries, throwIfAborted, type IteratedEntry } from '../entry-stream.js';
import { ExtractionProgress } from '../extraction-progress.js';
import type { LinkPolicy } from '../policy/check-entry.js';
import type { ExtractionLimits } from '../policy/limits.js';
import type { ArchiveEntry, ArchiveSource } from '../types.js';
import { ConcurrentWrites } from './concurrent-writes.js';
import { CreatedPaths } from './created-paths.js';
import { PathSet } from '../../compact/path-set.js';
import { applyFolderMetadata, createDirectory, createFileExclusive, createHardlink, createSymlink, prepareParents, targetPath, writeSmallFileSync, type WriteTarget } from './safe-create.js';
import { SpaceGuard } from './space-guard.js';
import { diskStorage, type ExtractorStorage } from './storage-like.js';

/** What {@link extractToDirectory} needs (the extractor fills it from its own and the call's options). */
export interface ExtractToDirectoryOptions {
  limits: ExtractionLimits;
  links: LinkPolicy;
  stripComponents?: number;
  gunzipWorker?: boolean;
  storage?: ExtractorStorage;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  filter?: (entry: ArchiveEntry) => boolean;
  cleanupCallback?: (entry: ArchiveEntry, path: string) => void | Promise<void>;
  atomic?: boolean;
  /** Bytes the extraction is expected to write, checked against free space before anything is written. */
  expectedBytes?: number;
  /** Entries in all, when known (for progress). */
  expectedEntries?: number;
  /** Files of a zip written at once (default {@link DEFAULT_ZIP_CONCURRENCY}); 1 writes one at a time. */
  concurrency?: number;
  /**
   * Write files of at most {@link SMALL_FILE_BYTES} with synchronous calls (default: yes, unless
   * the destination is on a network file system).
   */
  syncSmallFiles?: boolean;
}

/**
 * Files up to this size are read whole, then created and written with synchronous calls (see
 * `ExtractStreamingOptions.syncSmallFiles`): at most this much is held, and the event loop is
 * held for a few tens of microseconds a file on a local disk.
 */
export const SMALL_FILE_BYTES = 64 * 1024;

// statfs f_type of file systems where every call is a network round trip: NFS (Amazon EFS
// among them), SMB, FUSE (s3fs, Mountpoint for Amazon S3), 9p, Ceph, Lustre. There, small files
// take the asynchronous path of every file (a zip's written several at once), rather than hold
// the event loop for each.
const NETWORK_FILE_SYSTEMS = new Set([0x6969, 0xff534d42, 0xfe534d42, 0x65735546, 0x01021997, 0x00c36400, 0x0bd00bd0]);

async function onNetworkFileSystem(path: string): Promise<boolean> {
  try {
    return NETWORK_FILE_SYSTEMS.has((await statfs(path)).type);
  } catch {
    return true;
  }
}

/**
 * Files of a zip whose bytes are written at once by default. Each inflates on libuv's thread pool
 * (4 threads by default), so four keep two cores busy; a tar is one stream and is written one file
 * at a time whatever this says (docs/performance.md).
 */
export const DEFAULT_ZIP_CONCURRENCY = 4;

/** What an extraction did. */
export interface ExtractionResult {
  /** Entries read (written or skipped). */
  entries: number;
  /** Regular files written. */
  files: number;
  /** Folders created or confirmed. */
  directories: number;
  /** Symbolic and hard links created. */
  links: number;
  /** Bytes of file content written. */
  bytesWritten: number;
  /**
   * Entries left out: by the filter or the patterns, and hard links whose target the caller
   * left out or removed (listed in {@link ExtractionResult.hardLinksSkipped}).
   */
  skipped: number;
  /**
   * Hard links not created because their target, a file of this archive, is not on disk by
   * the caller's choice: the `filter` left it out, or the `cleanupCallback` removed it. Paths
   * as in the archive. (A link to anything the archive did not provide is still refused.)
   */
  hardLinksSkipped: string[];
  /** Wall time. */
  durationMs: number;
}

/** Counts written bytes into the space guard and the progress. */
function meter(guard: SpaceGuard, progress: ExtractionProgress, entry: IteratedEntry): Transform {
  let left = entry.size;
  return new Transform({
    highWaterMark: 256 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      left -= chunk.length;
      progress.addBytes(chunk.length, entry.path);
      progress.diskUsage += chunk.length;
      guard.onWritten(chunk.length, Math.max(0, left)).then(
        () => callback(null, chunk),
        (error: unknown) => callback(error as Error),
      );
    },
  });
}

/**
 * Writes one file's content through its descriptor: the bytes (metered into the space guard)
 * and the mode, then the times; the descriptor is closed whatever happens. Mode and times
 * go through the descriptor, never through a path that could be swapped.
 */
async function writeContent(handle: FileHandle, entry: IteratedEntry, body: Readable, guard: SpaceGuard, progress: ExtractionProgress): Promise<void> {
  const sink = handle.createWriteStream({ autoClose: false, highWaterMark: 256 * 1024 });
  try {
    // Piped at once: a body opened ahead (a zip's, read concurrently) may fail at any moment and
    // its error must have somewhere to go.
    const piping = pipeline(body, meter(guard, progress, entry), sink);
    // Awaited below; until then a failure must not count as unhandled.
    piping.catch(() => undefined);
    try {
      await handle.chmod(entry.mode);
    } catch (error) {
      body.destroy();
      await piping.catch(() => undefined);
      throw error;
    }
    await piping;
    await handle.utimes(entry.mtime, entry.mtime);
  } finally {
    // A FileHandle waits for its streams before closing: release ours first.
    if (!sink.closed) {
      sink.destroy();
      await once(sink, 'close');
    }
    if (!body.destroyed && !body.readableEnded) body.destroy();
    await handle.close().catch(() => undefined);
  }
}

/**
 * Writes a small file's content, read whole first, with synchronous calls; when the name is
 * already taken or a folder on the way is gone, as any file is written (that path knows how to
 * replace and walk again). Returns the file's path. Reading first means a corrupt body fails
 * before anything is created.
 */
async function writeSmallFile(target: WriteTarget, entry: IteratedEntry, guard: SpaceGuard, progress: ExtractionProgress): Promise<string> {
  const content: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of entry.chunks()) {
    content.push(chunk);
    bytes += chunk.length;
  }
  const path = await prepareParents(target, entry.path, true);
  if (!writeSmallFileSync(target, path, entry.rawName, content, entry.mode, entry.mtime)) {
    const created = await createFileExclusive(target, entry.path, entry.rawName);
    await writeContent(created.handle, entry, Readable.from(content), guard, progress);
    return created.path;
  }
  progress.addBytes(bytes, entry.path);
  progress.diskUsage += bytes;
  await guard.onWritten(bytes, 0);
  return path;
}

function checkConcurrency(concurrency: number | undefined): number {
  if (concurrency === undefined) return DEFAULT_ZIP_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new ConfigurationError('concurrency', 'must be a whole number from 1', concurrency);
  return concurrency;
}

/** True when nothing is at `path` (ENOENT); any other answer, a file or an error, is false. */
async function isGone(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

async function isEmptyOrAbsent(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Extracts `archive` under `destDir`. On any failure everything it created is removed and the
 * error is rethrown (a full disk as {@link InsufficientStorageError}); if removal itself fails,
 * a {@link CleanupFailedError} whose `cause` is the original error.
 *
 * @example
 * ```ts
 * await extractToDirectory('model.tar.gz', '/tmp/model', { limits: DEFAULT_LIMITS, links: 'within-destination' });
 * ```
 */
export async function extractToDirectory(archive: ArchiveSource, destDir: string, options: ExtractToDirectoryOptions): Promise<ExtractionResult> {
  const started = Date.now();
  const destination = resolve(destDir);
  const operation = `extracting ${typeof archive === 'string' ? basename(archive) : 'an archive'} to ${destination}`;
  const created = new CreatedPaths();
  const progress = new ExtractionProgress(options.onProgress, 'extracting');
  progress.totalBytes = options.expectedBytes;
  progress.totalFiles = options.expectedEntries;
  const result: ExtractionResult = { entries: 0, files: 0, directories: 0, links: 0, bytesWritten: 0, skipped: 0, hardLinksSkipped: [], durationMs: 0 };
  const storage = options.storage ?? diskStorage(destination);
  const guard = new SpaceGuard(storage, destination, operation, options.expectedBytes);
  // A callback may not expect to run alongside itself: with one, files are written one at a time.
  const writes = new ConcurrentWrites(options.cleanupCallback === undefined ? checkConcurrency(options.concurrency) : 1);
  try {
    throwIfAborted(options.signal);
    if (options.atomic === true && !(await isEmptyOrAbsent(destination))) {
      throw new ConfigurationError('atomic', 'needs a destination that is absent or empty', destination);
    }
    if (options.expectedBytes !== undefined) await guard.checkBefore(options.expectedBytes);
    const firstCreated = await mkdir(dirname(destination), { recursive: true });
    if (firstCreated !== undefined) created.add(firstCreated, 'tree');
    let writeRoot = destination;
    if (options.atomic === true) {
      writeRoot = join(dirname(destination), `.${basename(destination)}.staging-${randomBytes(6).toString('hex')}`);
      await mkdir(writeRoot, { mode: 0o700 });
      created.add(writeRoot, 'tree');
    } else if ((await lstat(destination).catch(() => undefined)) === undefined) {
      await mkdir(destination, { mode: 0o755 });
      created.add(destination, 'tree');
    }
    const target: WriteTarget = { root: await realpath(writeRoot), created, checkedFolders: new Set() };
    const syncSmallFiles = options.syncSmallFiles ?? !(await onNetworkFileSystem(target.root));
    // Compact sets: one member a file, so 100,000 files must not mean 100,000 heap strings.
    const extractedFiles = new PathSet();
    // Files of this archive that are not on disk because the caller said so (filtered out, or
    // removed by the cleanup callback): a hard link to one is skipped, not taken for an escape.
    const releasedFiles = new PathSet();
    const folderTimes: Array<{ path: string; mode: number; mtime: Date }> = [];
    for await (const entry of iterateEntries(archive, { limits: options.limits, links: options.links, ...(options.stripComponents ? { stripComponents: options.stripComponents } : {}), ...(options.gunzipWorker ? { gunzipWorker: true } : {}), ...(options.signal ? { signal: options.signal } : {}) })) {
      result.entries++;
      if (options.filter !== undefined && !options.filter(entry)) {
        result.skipped++;
        if (entry.type === 'file') releasedFiles.add(targetPath(target, entry.path));
        await entry.skip();
        continue;
      }
      switch (entry.type) {
        case 'directory': {
          const path = await prepareParents(target, entry.path);
          await createDirectory(target, path, entry.rawName);
          target.checkedFolders.add(path);
          folderTimes.push({ path, mode: entry.mode, mtime: entry.mtime });
          result.directories++;
          break;
        }
        case 'file': {
          await guard.checkEntry(entry.size);
          let path: string;
          if (syncSmallFiles && entry.size <= SMALL_FILE_BYTES) {
            path = await writeSmallFile(target, entry, guard, progress);
          } else {
            // Created here, one at a time and in archive order: only the bytes are written concurrently.
            const created = await createFileExclusive(target, entry.path, entry.rawName);
            path = created.path;
            const detached = writes.limit > 1 ? entry.detachBody() : undefined;
            if (detached !== undefined) {
              const written = path;
              await writes.add(
                writeContent(created.handle, entry, detached, guard, progress).then(() => {
                  extractedFiles.add(written);
                  result.files++;
                  result.bytesWritten += entry.size;
                }),
              );
              break;
            }
            await writeContent(created.handle, entry, entry.body, guard, progress);
          }
          extractedFiles.add(path);
          result.files++;
          result.bytesWritten += entry.size;
          if (options.cleanupCallback !== undefined) {
            await options.cleanupCallback(entry, path);
            if ((await lstat(path).catch(() => undefined)) === undefined) {
              progress.diskUsage -= entry.size;
              progress.cleanupPerformed = true;
              extractedFiles.delete(path);
              releasedFiles.add(path);
            }
          }
          break;
        }
        case 'symlink':
          // Links wait for every file before them: a hard link needs its target whole.
          await writes.drain();
          await createSymlink(target, await prepareParents(target, entry.path), entry.rawName, entry.linkTarget ?? '', entry.checked.resolvedTarget ?? '');
          result.links++;
          break;
        case 'hardlink': {
          await writes.drain();
          const linkedTo = targetPath(target, entry.checked.resolvedTarget ?? '');
          // A callback may remove files later than its own call (in batches, once an upload ends).
          if (options.cleanupCallback !== undefined && extractedFiles.has(linkedTo) && (await isGone(linkedTo))) {
            extractedFiles.delete(linkedTo);
            releasedFiles.add(linkedTo);
            progress.cleanupPerformed = true;
          }
          if (!extractedFiles.has(linkedTo) && releasedFiles.has(linkedTo)) {
            result.skipped++;
            result.hardLinksSkipped.push(entry.path);
            break;
          }
          await createHardlink(target, await prepareParents(target, entry.path), entry.rawName, entry.checked.resolvedTarget ?? '', extractedFiles);
          result.links++;
          break;
        }
      }
      progress.filesProcessed++;
      progress.report('extracting', entry.path);
    }
    await writes.drain();
    // Folders last, deepest first: a read-only folder must not stop its own children.
    for (const { path, mode, mtime } of folderTimes.reverse()) await applyFolderMetadata(path, mode, mtime);
    if (options.atomic === true) await rename(writeRoot, destination);
    result.durationMs = Date.now() - started;
    progress.report('done');
    return result;
  } catch (error) {
    // Nothing may still be writing into what is about to be removed.
    await writes.settle();
    const failure = await toInsufficientStorageError(error, { path: destination, operation, writtenBytes: guard.written, ...(options.expectedBytes === undefined ? {} : { requiredBytes: options.expectedBytes }) });
    progress.report('cleanup');
    try {
      await created.rollback();
    } catch (cleanupError) {
      if (cleanupError instanceof CleanupFailedError) throw new CleanupFailedError(cleanupError.failures, { cause: failure });
      throw cleanupError;
    }
    throw failure;
  }
}
