// Opens an archive given by path. A path that names nothing, or a folder, is the caller's
// mistake, not a broken archive: it gets `SOURCE_NOT_FOUND` with the path and what to check,
// instead of a bare ENOENT.
import { open, type FileHandle } from 'node:fs/promises';
import { ExtractionError } from '../../errors/index.js';

function notFound(path: string, what: string, cause?: unknown): ExtractionError {
  return new ExtractionError(`no archive at ${path}: ${what}`, { reason: 'SOURCE_NOT_FOUND', archivePath: path, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Opens `path` for reading and returns the handle with the file's size.
 *
 * @example
 * ```ts
 * const { handle, size } = await openArchiveFile('model.tar.gz');
 * ```
 */
export async function openArchiveFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(path, 'the file does not exist', error);
    if (code === 'ENOTDIR') throw notFound(path, 'a part of the path is a file, not a folder', error);
    throw error;
  }
  const stats = await handle.stat();
  if (stats.isDirectory()) {
    await handle.close();
    throw notFound(path, 'it is a folder (give the archive file; to zip a folder, use the zip command or IncrementalZipper)');
  }
  return { handle, size: stats.size };
}
