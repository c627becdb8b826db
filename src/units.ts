/** One kibibyte, in bytes. */
export const KiB = 1024;
/** One mebibyte, in bytes. */
export const MiB = 1024 * KiB;
/** One gibibyte, in bytes. */
export const GiB = 1024 * MiB;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Formats a byte count in binary units with one decimal, the way our error messages
 * quote sizes ("3.1 GiB"). Whole bytes under 1 KiB are printed exactly.
 *
 * @example
 * ```ts
 * formatBytes(3_328_599_654); // "3.1 GiB"
 * formatBytes(512);           // "512 B"
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${sign}${value} B` : `${sign}${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Rounds a byte count up to whole GiB: what to ask for when raising a Lambda's ephemeral storage. */
export function ceilGiB(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / GiB));
}
