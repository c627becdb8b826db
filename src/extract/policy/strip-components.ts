import { ConfigurationError } from '../../errors/index.js';

/**
 * Removes the first `count` folders from a normalised entry path, as `tar --strip-components`
 * does. Returns `undefined` when nothing is left (the entry is dropped, as tar drops it).
 * Pure; the stripped path is checked by the rest of the policy like any other name.
 *
 * @example
 * ```ts
 * stripComponents('model-1.0/weights/a.bin', 1); // "weights/a.bin"
 * stripComponents('model-1.0', 1);               // undefined
 * ```
 */
export function stripComponents(path: string, count: number): string | undefined {
  if (count === 0) return path;
  const segments = path.split('/');
  if (segments.length <= count) return undefined;
  return segments.slice(count).join('/');
}

/**
 * Checks a `stripComponents` option: a whole number from 0.
 *
 * @example
 * ```ts
 * checkStripCount(1); // 1
 * ```
 */
export function checkStripCount(count: number | undefined): number {
  const value = count ?? 0;
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigurationError('stripComponents', 'must be a whole number from 0', count);
  return value;
}
