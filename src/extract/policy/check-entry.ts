import { ExtractionError } from '../../errors/index.js';
import type { EntryType } from '../types.js';
import { checkHardlinkTarget, checkSymlinkTarget } from './check-link-target.js';
import type { ExtractionLimits } from './limits.js';
import { normalizeEntryPath } from './normalize-entry-path.js';
import { sanitizeMode } from './sanitize-mode.js';

/**
 * What the policy reads of an entry: the fields a reader decoded, before any check. A reader's
 * `RawEntry` is one; the policy names its own input so that it depends on no reader.
 */
export interface PolicyInput {
  /** The final name, as the archive gives it. */
  name: string;
  /** What the header says the entry is (`'file'`, `'directory'`, `'symlink'`, `'hardlink'`, or a kind that is refused). */
  kind: string;
  /** Declared uncompressed size. */
  size: number;
  /** Mode bits as stored. */
  mode: number;
  /** For links: the target as stored. */
  linkTarget?: string;
  /** For unknown kinds: the raw type flag, for the error message. */
  typeFlag?: string;
}

/** How links are treated: allowed when they stay inside the destination, or refused. */
export type LinkPolicy = 'within-destination' | 'reject';

/** An entry that passed the policy: what the writer may create. */
export interface CheckedEntry {
  /** Normalised relative path (`''` only for the destination's own folder entry). */
  path: string;
  /** One of the four types we create. */
  type: EntryType;
  /** Sanitised mode. */
  mode: number;
  /** Declared size (0 for anything but files). */
  size: number;
  /** For links: the target as the archive gives it. */
  linkTarget?: string;
  /** For links: the target resolved relative to the destination. */
  resolvedTarget?: string;
}

const REFUSED_KINDS: Record<string, string> = {
  'character-device': 'a character device',
  'block-device': 'a block device',
  fifo: 'a FIFO',
  unknown: 'an entry of an unknown type',
};

/**
 * Applies the whole safety policy to one decoded entry: name, type, size, link target and
 * mode. Pure: the writer's own checks (nothing written through a link, hard links only to
 * files this call created) are the file-system half.
 *
 * @example
 * ```ts
 * const checked = checkEntry(raw, DEFAULT_LIMITS, 'within-destination');
 * ```
 */
export function checkEntry(raw: PolicyInput, limits: ExtractionLimits, links: LinkPolicy): CheckedEntry {
  const refused = REFUSED_KINDS[raw.kind];
  if (refused !== undefined) {
    const flag = raw.typeFlag === undefined ? '' : ` (type flag ${JSON.stringify(raw.typeFlag)})`;
    throw new ExtractionError(`entry is ${refused}${flag}, which is never created`, {
      reason: 'UNSUPPORTED_ENTRY_TYPE',
      entryPath: raw.name,
    });
  }
  const type = raw.kind as EntryType;
  const path = normalizeEntryPath(raw.name, limits);
  if (path === '' && type !== 'directory') {
    throw new ExtractionError('entry name is empty after normalisation', { reason: 'INVALID_NAME', entryPath: raw.name });
  }
  if (!Number.isSafeInteger(raw.size) || raw.size < 0) {
    throw new ExtractionError(`entry has an impossible size (${raw.size})`, { reason: 'CORRUPT', entryPath: raw.name });
  }
  if (type !== 'file' && raw.size !== 0) {
    throw new ExtractionError(`a ${type} entry declares ${raw.size} bytes of content`, { reason: 'CORRUPT', entryPath: raw.name });
  }
  const mode = sanitizeMode(raw.mode, type);
  if (type === 'symlink' || type === 'hardlink') {
    if (links === 'reject') {
      throw new ExtractionError(`entry is a ${type === 'symlink' ? 'symbolic' : 'hard'} link and links are refused`, {
        reason: 'LINK_REJECTED',
        entryPath: raw.name,
      });
    }
    const target = raw.linkTarget ?? '';
    const resolvedTarget = type === 'symlink' ? checkSymlinkTarget(path, target) : checkHardlinkTarget(path, target, limits);
    return { path, type, mode, size: 0, linkTarget: target, resolvedTarget };
  }
  return { path, type, mode, size: raw.size };
}
