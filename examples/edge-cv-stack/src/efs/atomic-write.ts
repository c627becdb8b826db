// Writes a file so that readers see either nothing or the whole file: the bytes go to a dot-file
// beside the target, then one rename(2) publishes them. rename is atomic within a directory on
// POSIX file systems and on EFS (NFSv4.1), so no reader ever opens a half-written model.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toInsufficientStorageError } from 'storage-safe-archive';

/** What was written: its size and SHA-256, computed on the way through. */
export interface WrittenFile {
  /** The final path. */
  path: string;
  /** Bytes written. */
  bytes: number;
  /** Lowercase hex SHA-256 of the bytes written. */
  sha256: string;
}

/** The temporary name for `target`: a dot-file in the same directory, so the rename stays atomic. */
export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${randomBytes(8).toString('hex')}.partial`);
}

/** True for names {@link temporaryPathFor} produces, so listings can skip work in progress. */
export function isTemporaryName(path: string): boolean {
  return /^\.[0-9a-f]{16}\.partial$/.test(basename(path));
}

/**
 * Streams `source` into `target` through a temporary file and renames it into place. On any
 * failure the temporary file is removed and the target is left as it was; a full disk becomes an
 * `InsufficientStorageError` with the disk's real figures.
 */
export async function writeFileAtomically(
  target: string,
  source: Readable | Uint8Array | string,
  options: { expectedBytes?: number; signal?: AbortSignal } = {},
): Promise<WrittenFile> {
  await mkdir(dirname(target), { recursive: true });
  const temporary = temporaryPathFor(target);
  const hash = createHash('sha256');
  let bytes = 0;
  const input = source instanceof Readable ? source : Readable.from([typeof source === 'string' ? Buffer.from(source) : source]);
  try {
    await pipeline(
      input,
      async function* measure(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(temporary, { flags: 'wx' }),
      { signal: options.signal },
    );
    if (options.expectedBytes !== undefined && bytes !== options.expectedBytes) {
      throw new Error(`short read: expected ${options.expectedBytes} bytes, got ${bytes}; the source ended early, try again`);
    }
    await rename(temporary, target);
  } catch (error) {
    // Read the disk while the partial file still fills it: those are the figures that failed.
    const reported = await toInsufficientStorageError(error, {
      path: temporary,
      requiredBytes: options.expectedBytes ?? bytes,
      operation: `writing ${target}`,
    });
    await rm(temporary, { force: true });
    throw reported;
  }
  return { path: target, bytes, sha256: hash.digest('hex') };
}
