// A ready-made RandomAccessSource over a local file (the S3 one lives in `storage-safe-archive/s3`,
// since it needs the AWS SDK).
import { stat } from 'node:fs/promises';
import type { RandomAccessSource } from '../types.js';
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
  return fileRangeSource(path, (await stat(path)).size);
}
