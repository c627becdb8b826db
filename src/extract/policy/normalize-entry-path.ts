import { ExtractionError } from '../../errors/index.js';
import { assertWithinLimit, type ExtractionLimits } from './limits.js';
import { rejectAbsolutePath } from './reject-absolute-path.js';

/** The limits {@link normalizeEntryPath} needs. */
export type PathLimits = Pick<ExtractionLimits, 'maxDepth' | 'maxPathBytes' | 'maxSegmentBytes'>;

/**
 * Turns an archive's entry name (already the final one: after PAX `path`, GNU long names or
 * the zip Unicode Path extra field) into a safe relative path with forward slashes, or throws
 * an {@link ExtractionError} saying why it is refused. Pure: no file system.
 *
 * Returns `''` for names that mean the destination itself (`.`, `./`): callers skip those
 * directory entries (GNU `tar -C dir .` writes one first).
 *
 * @example
 * ```ts
 * normalizeEntryPath('./models//a.bin', DEFAULT_LIMITS); // "models/a.bin"
 * normalizeEntryPath('a/../../etc/passwd', DEFAULT_LIMITS); // throws PATH_TRAVERSAL
 * ```
 */
export function normalizeEntryPath(name: string, limits: PathLimits): string {
  const label = name;
  if (name.length === 0) throw new ExtractionError('entry name is empty', { reason: 'INVALID_NAME', entryPath: label });
  if (name.includes('\0')) throw new ExtractionError('entry name contains a NUL byte', { reason: 'INVALID_NAME', entryPath: label });
  assertWithinLimit('maxPathBytes', Buffer.byteLength(name), limits.maxPathBytes, label);
  rejectAbsolutePath(name, label);
  if (name.includes('\\')) {
    // A backslash is a separator on Windows: `..\\..\\x` is a traversal there, so say so.
    const windowsSegments = name.split(/[\\/]/);
    if (windowsSegments.includes('..')) {
      throw new ExtractionError('entry name climbs out with a backslash-separated ".."', { reason: 'PATH_TRAVERSAL', entryPath: label });
    }
    throw new ExtractionError('entry name contains a backslash', { reason: 'INVALID_NAME', entryPath: label });
  }
  const segments: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      throw new ExtractionError('entry name has a ".." segment', { reason: 'PATH_TRAVERSAL', entryPath: label });
    }
    if (Buffer.byteLength(segment) > limits.maxSegmentBytes) {
      throw new ExtractionError(`entry name has a ${Buffer.byteLength(segment)}-byte segment (at most ${limits.maxSegmentBytes})`, {
        reason: 'INVALID_NAME',
        entryPath: label,
        details: { limit: 'maxSegmentBytes' },
      });
    }
    segments.push(segment);
  }
  assertWithinLimit('maxDepth', segments.length, limits.maxDepth, label);
  const normalized = segments.join('/');
  // `./C:x` becomes `C:x` once the dot is dropped: a drive-relative path on Windows (node-tar
  // CVE-2021-37713). Judge the result as well as the input.
  rejectAbsolutePath(normalized, label);
  return normalized;
}
