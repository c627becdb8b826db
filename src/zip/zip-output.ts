// Where a zip's bytes go: a file path (its folder created, an existing file refused unless
// overwrite is set, the file removed on failure) or any Writable. Bytes are hashed on the way
// out, so an artifact's digest never needs a second read. An existing file being overwritten
// is replaced only once the new zip is whole (written beside it, then renamed over it): a
// failed run leaves it as it was, and repackaging a zip onto itself does not truncate the
// source it is reading.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { CompressionError, InsufficientStorageError, isStorageError } from '../errors/index.js';
import { isDiskFullError, readDiskSpace, type DiskSpace } from '../storage/disk-space.js';

/** A zip output: a file path, or any `Writable` (an S3 upload stream, a socket, a counter). */
export type ZipOutput = string | Writable;

/** How a {@link ZipSink} is opened. */
export interface ZipSinkOptions {
  /** Replace an existing output file, once the new one is whole. Default false: an existing file is refused with `OUTPUT_EXISTS`. */
  overwrite?: boolean;
  /** Bytes the zip is expected to take, when known: quoted as what was needed if the disk fills. */
  expectedBytes?: number;
  /** Receives the first output failure, already typed. */
  onError: (error: Error) => void;
}

/** The output side of a zipper: takes bytes in order, counts and hashes them, knows how to finish and undo. */
export interface ZipSink {
  /** A label for messages: the path, or "stream". */
  readonly label: string;
  /** The file path, when the output is a file. */
  readonly path: string | undefined;
  /** Bytes handed to the output so far. */
  readonly bytesWritten: number;
  /** Resolves true once the output can take bytes (a file: its folder made and the file opened), false if it could not be opened (the error goes to `onError`). */
  ready(): Promise<boolean>;
  /** Writes `chunk`; false when the caller should wait for {@link drained} before the next. */
  write(chunk: Buffer): boolean;
  /** Resolves when the output wants more (after a write that returned false: its 'drain'), or is gone. */
  drained(): Promise<void>;
  /** Ends the output after the last write. */
  end(): void;
  /** Resolves once the last byte is flushed and the output closed (a file: after 'close'). */
  closed(): Promise<void>;
  /** Stops writing; a file output is removed, with any folder the sink created for it. Never throws. */
  abandon(): Promise<void>;
  /** SHA-256 (hex) of every byte written; final once closed. */
  sha256(): string;
}

/**
 * Opens a {@link ZipSink}. Output failures reach `onError` typed: `InsufficientStorageError` for
 * a full disk (with the bytes written and the space free when writing began), `CompressionError`
 * with `OUTPUT_EXISTS` or `WRITE_FAILED` otherwise.
 */
export function openZipSink(output: ZipOutput, options: ZipSinkOptions): ZipSink {
  const path = typeof output === 'string' ? resolve(output) : undefined;
  // Overwriting: the bytes go to a new file beside the target, renamed over it at the end.
  const writePath = path !== undefined && options.overwrite ? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`) : path;
  // A file stream handed in still says which disk it writes to; measure that one, not the cwd's.
  const diskPath = path ?? (output instanceof WriteStream && typeof output.path === 'string' ? resolve(output.path) : undefined);
  const hash = createHash('sha256');
  let digest: string | undefined;
  let bytesWritten = 0;
  let failed = false;
  let out: Writable | undefined = typeof output === 'string' ? undefined : output;
  let createdFolder: string | undefined;
  let diskAtStart: DiskSpace | undefined;

  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    void typeOutputError(error).then(options.onError);
  };

  const typeOutputError = async (error: unknown): Promise<Error> => {
    if (isStorageError(error)) return error;
    if (isDiskFullError(error) && diskPath !== undefined) {
      const disk = diskAtStart ?? (await readDiskSpace(dirname(diskPath)).catch(() => undefined));
      return new InsufficientStorageError({
        // The disk filled after `bytesWritten`: the zip needed more than that, and more than was free.
        requiredBytes: Math.max(bytesWritten + 1, (disk?.availableBytes ?? 0) + 1, options.expectedBytes ?? 0),
        availableBytes: disk?.availableBytes ?? 0,
        path: diskPath,
        ...(disk === undefined ? {} : { totalBytes: disk.totalBytes }),
        operation: `writing the zip (${bytesWritten} bytes written before the disk filled)`,
        // The caller is already streaming (zipping, repackaging): the way out is another disk or no disk.
        suggestion: `write the zip to a disk with more free space, or to a Writable that is not a disk (an S3 upload: s3UploadStream() from storage-safe-archive/s3) so the zip takes no disk`,
        cause: error,
      });
    }
    if ((error as NodeJS.ErrnoException)?.code === 'EEXIST' && path !== undefined) {
      return new CompressionError(`the output ${path} already exists`, { reason: 'OUTPUT_EXISTS', outputPath: path, cause: error });
    }
    return new CompressionError(`writing the zip to ${path ?? 'the output stream'} failed: ${(error as Error)?.message ?? String(error)}`, {
      reason: 'WRITE_FAILED',
      ...(path === undefined ? {} : { outputPath: path }),
      cause: error,
    });
  };

  const listen = (stream: Writable) => stream.once('error', fail);
  if (out) listen(out);

  const opened = (async () => {
    if (diskPath !== undefined) diskAtStart = await readDiskSpace(dirname(diskPath)).catch(() => undefined);
    if (path === undefined) return;
    createdFolder = await mkdir(dirname(path), { recursive: true });
    const file = createWriteStream(writePath!, { flags: 'wx' });
    await new Promise<void>((resolve, reject) => {
      file.once('ready', () => resolve());
      file.once('error', reject);
    });
    // Only once open is the file ours: a refused existing file must never be removed on failure.
    out = file;
    listen(file);
  })();
  opened.catch(fail);

  const closed = opened.then(
    () =>
      new Promise<void>((resolve, reject) => {
        const stream = out!;
        // A file is done when its descriptor is closed; a plain Writable when it has finished
        // (an S3 upload stream finishes only once the upload is complete).
        if (path !== undefined) {
          stream.once('close', () => {
            if (!stream.writableFinished || failed) return;
            if (writePath === path) return resolve();
            rename(writePath!, path).then(resolve, (error: unknown) => {
              fail(error);
              reject(error as Error);
            });
          });
        }
        else stream.once('finish', () => resolve());
        stream.once('error', reject);
      }),
  );
  closed.catch(() => undefined);

  return {
    label: path ?? 'stream',
    path,
    get bytesWritten() {
      return bytesWritten;
    },
    ready: () => opened.then(
      () => true,
      () => false,
    ),
    write(chunk) {
      bytesWritten += chunk.length;
      hash.update(chunk);
      return out === undefined || out.destroyed ? true : out.write(chunk);
    },
    drained: () =>
      new Promise<void>((resolve) => {
        const stream = out;
        if (stream === undefined || !stream.writableNeedDrain || stream.destroyed || failed) return resolve();
        const done = () => {
          stream.off('drain', done);
          stream.off('close', done);
          stream.off('error', done);
          resolve();
        };
        stream.once('drain', done);
        stream.once('close', done);
        stream.once('error', done);
      }),
    end: () => out?.end(),
    closed: () => closed,
    sha256: () => (digest ??= hash.digest('hex')),
    async abandon() {
      failed = true;
      await opened.catch(() => undefined);
      const stream = out;
      if (stream && !stream.destroyed) stream.destroy();
      if (path === undefined) return;
      if (stream && !stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
      // Only a file this sink created is removed: an existing file refused by 'wx' stays as it was.
      if (stream) await rm(writePath!, { force: true }).catch(() => undefined);
      if (createdFolder !== undefined) await rm(createdFolder, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
