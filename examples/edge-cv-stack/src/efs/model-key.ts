// Model keys name files under models/ on the mount and objects under models/ in S3. A key comes
// from a caller, so it is checked before it becomes a path: it must stay inside models/.
import { createHash } from 'node:crypto';
import { BadRequestError } from '../http/request-body.js';

/** Longest key accepted, in UTF-8 bytes: S3's own limit minus the `models/` prefix. */
export const MAX_MODEL_KEY_BYTES = 1024 - 'models/'.length;

/** Longest path segment most file systems (EFS included) accept, in bytes. */
const MAX_SEGMENT_BYTES = 255;

/**
 * Checks that `key` is a relative path that stays under models/: no empty, `.` or `..` segment,
 * no leading `/`, no NUL. Segments starting with `.` are refused too, because the producer
 * writes its temporary files as dot-files beside the final name.
 */
export function assertModelKey(key: string, field = 'key'): string {
  const bytes = Buffer.byteLength(key);
  if (bytes === 0 || bytes > MAX_MODEL_KEY_BYTES) {
    throw new BadRequestError(`"${field}" must be 1 to ${MAX_MODEL_KEY_BYTES} bytes, got ${bytes}`);
  }
  if (key.includes('\0')) throw new BadRequestError(`"${field}" must not contain NUL`);
  for (const segment of key.split('/')) {
    if (segment === '') throw new BadRequestError(`"${field}" must not start or end with "/" or contain "//": ${JSON.stringify(key)}`);
    if (segment.startsWith('.')) {
      throw new BadRequestError(`"${field}" segments must not start with "." (got ${JSON.stringify(segment)}): dot-files are the producer's temporary files`);
    }
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new BadRequestError(`"${field}" has a segment of ${Buffer.byteLength(segment)} bytes; the file system allows ${MAX_SEGMENT_BYTES}`);
    }
  }
  return key;
}

/** A file identifier: the first 32 hex digits (128 bits) of SHA-256 over `models/<key>`. */
const FILE_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * The file identifier of a model key. Deterministic, so ingesting the same key twice gives the
 * same identifier, and safe as a file name (`outputs/<fileId>.result`) whatever the key holds.
 */
export function fileIdForKey(key: string): string {
  return createHash('sha256').update(`models/${key}`).digest('hex').slice(0, 32);
}

/** True when `value` has the shape {@link fileIdForKey} produces; anything else cannot exist. */
export function isFileId(value: string): boolean {
  return FILE_ID_PATTERN.test(value);
}
