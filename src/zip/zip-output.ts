// Where a zip's bytes go: a file path (written, then closed, removed on failure) or any Writable.
// The pump below is `pipe()` plus a byte count, so there is no extra Transform on the hot path.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { CompressionError, isStorageError } from '../errors.js';
import { toInsufficientStorageError } from '../storage/disk-space.js';

const DRAIN_POLL_MS = 5;

/** A zip output: a file path, or any `Writable` (an S3 upload stream, a socket, a counter). */
export type ZipOutput = string | Writable;

/** The output side of a zipper: pumps bytes in, reports how many, knows how to finish and undo. */
export interface ZipSink {
  /** Bytes handed to the output so far. */
  readonly bytesWritten: number;
  /** SHA-256 (hex) of every byte handed to the output, hashed as they pass; final once closed. */
  sha256(): string;
  /** Starts copying `source` into the output with backpressure. */
  pumpFrom(source: Readable): void;
  /** Resolves once the last byte is flushed and the output closed (a file: after 'close'). */
  closed(): Promise<void>;
  /** Stops writing; a file output is removed. Never throws. */
  abandon(): Promise<void>;
  /** True when nothing is waiting in the output's buffer. */
  isDrained(): boolean;
  /** Resolves when the output's buffer is empty. */
  drained(): Promise<void>;
  /** A label for messages: the path, or "stream". */
  readonly label: string;
  /** The file path, when the output is a file. */
  readonly path: string | undefined;
}

/**
 * Opens a {@link ZipSink}. `onError` receives the first output failure, already typed:
 * `InsufficientStorageError` for a full disk, `CompressionError('WRITE_FAILED')` otherwise.
 */
export function openZipSink(output: ZipOutput, onError: (error: Error) => void): ZipSink {
  const path = typeof output === 'string' ? output : undefined;
  const out: Writable = typeof output === 'string' ? createWriteStream(output) : output;
  let bytesWritten = 0;
  let failed = false;
  // Hashed on the way out, so an artifact's digest never needs a second read of it.
  const hash = createHash('sha256');
  let digest: string | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const settle = () => resolve();
    // A file is done when its descriptor is closed; a plain Writable when it has finished
    // (an S3 upload stream finishes only once the upload is complete).
    if (path !== undefined) out.once('close', () => (failed ? undefined : (out as WriteStream).writableFinished ? settle() : undefined));
    else out.once('finish', settle);
    out.once('error', (error) => {
      failed = true;
      void typeOutputError(error, path).then((typed) => {
        onError(typed);
        reject(typed);
      });
    });
  });
  done.catch(() => undefined);

  return {
    label: path ?? 'stream',
    path,
    get bytesWritten() {
      return bytesWritten;
    },
    sha256: () => (digest ??= hash.digest('hex')),
    pumpFrom(source) {
      source.on('data', (chunk: Buffer) => {
        bytesWritten += chunk.length;
        hash.update(chunk);
        if (!out.write(chunk)) source.pause();
      });
      out.on('drain', () => source.resume());
      source.once('end', () => out.end());
    },
    closed: () => done,
    isDrained: () => out.writableLength === 0,
    // 'drain' only follows a write() that returned false, so poll the buffered length as well.
    drained: () =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (out.writableLength === 0 || out.destroyed || out.writableFinished) resolve();
          else setTimeout(check, DRAIN_POLL_MS);
        };
        check();
      }),
    async abandon() {
      failed = true;
      if (!out.destroyed) out.destroy();
      if (path !== undefined) {
        if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
        await rm(path, { force: true }).catch(() => undefined);
      }
    },
  };
}

async function typeOutputError(error: unknown, path: string | undefined): Promise<Error> {
  if (isStorageError(error)) return error;
  const typed = await toInsufficientStorageError(error, { path: path ?? '.', operation: 'writing the zip' });
  if (typed !== error) return typed as Error;
  return new CompressionError(`writing the zip to ${path ?? 'the output stream'} failed: ${(error as Error).message}`, {
    reason: 'WRITE_FAILED',
    ...(path === undefined ? {} : { outputPath: path }),
    cause: error,
  });
}
