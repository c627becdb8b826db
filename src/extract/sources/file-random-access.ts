// A ready-made RandomAccessSource over a local file (the S3 one lives in `storage-safe-archive/s3`,
// since it needs the AWS SDK).

import type { RandomAccessSource } from '../types.js';
import { openArchiveFile } from './open-archive-file.js';
import { fileRangeSource } from './open-archive.js';

/**
 * A {@link RandomAccessSource} over a local file.
 *
 * @example
 * ```ts
 * const info = await extractor.getArchiveInfo(await fileRandomAccessSource('model.zip'));
 * ```
 */
export async function fileRandomAccessSource(path: string): Promise<RandomAccessSource> {
  const { handle, size } = await openArchiveFile(path);
  await handle.close();
  return fileRangeSource(path, size);
}
