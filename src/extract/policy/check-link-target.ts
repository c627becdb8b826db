import { posix } from 'node:path';
import { ExtractionError } from '../../errors/index.js';
import { isAbsoluteAnywhere } from './reject-absolute-path.js';
import { normalizeEntryPath, type PathLimits } from './normalize-entry-path.js';

function linkEscape(message: string, entryPath: string, target: string): ExtractionError {
  return new ExtractionError(message, { reason: 'LINK_ESCAPE', entryPath, details: { linkTarget: target } });
}

/**
 * Checks a symbolic link's target: it must be relative, and resolved from the link's own
 * folder it must stay inside the destination (`''` is the destination itself). Returns the
 * resolved path relative to the destination. Pure: no file system. Chains of links are safe
 * because each link is checked on its own and nothing is ever written through one.
 *
 * @example
 * ```ts
 * checkSymlinkTarget('lib/current', 'v2/libdlr.so'); // "lib/v2/libdlr.so"
 * checkSymlinkTarget('a/link', '../../etc');        // throws LINK_ESCAPE
 * ```
 */
export function checkSymlinkTarget(linkPath: string, target: string): string {
  if (target.length === 0) throw linkEscape('symbolic link has an empty target', linkPath, target);
  if (target.includes('\0')) throw linkEscape('symbolic link target contains a NUL byte', linkPath, target);
  if (isAbsoluteAnywhere(target)) throw linkEscape('symbolic link target is absolute', linkPath, target);
  if (target.includes('\\')) throw linkEscape('symbolic link target contains a backslash', linkPath, target);
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    throw linkEscape(`symbolic link resolves outside the destination (to ${JSON.stringify(resolved)})`, linkPath, target);
  }
  return resolved === '.' ? '' : resolved.replace(/\/$/, '');
}

/**
 * Checks a hard link's target: a plain relative name with no `..`, normalised like an entry
 * name (hard link targets in tar are relative to the archive root, not to the link). Whether
 * it names a regular file this extraction created is the writer's check. Pure.
 *
 * @example
 * ```ts
 * checkHardlinkTarget('b', './a.bin', DEFAULT_LIMITS); // "a.bin"
 * ```
 */
export function checkHardlinkTarget(linkPath: string, target: string, limits: PathLimits): string {
  try {
    const normalized = normalizeEntryPath(target, limits);
    if (normalized === '') throw linkEscape('hard link points at the destination folder', linkPath, target);
    return normalized;
  } catch (error) {
    if (error instanceof ExtractionError && error.reason !== 'LINK_ESCAPE') {
      throw new ExtractionError(`hard link target refused (${error.reason})`, {
        reason: 'LINK_ESCAPE',
        entryPath: linkPath,
        cause: error,
        details: { linkTarget: target },
      });
    }
    throw error;
  }
}
