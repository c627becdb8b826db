import type { EntryType } from '../types.js';

/**
 * Permission bits we keep: read/execute for all, write for the owner. setuid (04000), setgid
 * (02000), sticky (01000) and group/other write (020, 002) are cleared, never refused: an
 * archive made on a careless machine is still a good archive.
 */
const KEPT_BITS = 0o755;

/** The owner can always read and write what we create (and enter folders), so cleanup never fails. */
const OWNER_FLOOR: Record<EntryType, number> = { file: 0o600, directory: 0o700, symlink: 0o777, hardlink: 0o600 };

/**
 * The mode we apply for an entry's archive mode. Pure.
 *
 * @example
 * ```ts
 * sanitizeMode(0o4777, 'file'); // 0o755
 * sanitizeMode(0o000, 'directory'); // 0o700
 * ```
 */
export function sanitizeMode(mode: number, type: EntryType): number {
  if (type === 'symlink') return 0o777;
  return ((Number.isFinite(mode) ? mode : 0o644) & KEPT_BITS) | OWNER_FLOOR[type];
}
