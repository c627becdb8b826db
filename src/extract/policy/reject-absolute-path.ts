import { ExtractionError } from '../../errors/index.js';

// A name is absolute if any platform would read it so: POSIX root, a Windows drive letter
// (`C:`, with or without a slash after it), a UNC or device prefix (`\\server`, `//server`,
// `\\?\`). node-tar strips such prefixes and warns (CVE-2021-32803/-37701/-37712 era fixes);
// we refuse them outright: a model archive has no business naming one.
const ABSOLUTE_SPELLINGS: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /^[\\/]{2}/, what: 'a UNC or device prefix' },
  { pattern: /^[A-Za-z]:/, what: 'a drive letter' },
  { pattern: /^[\\/]/, what: 'an absolute path' },
];

/**
 * Throws `ABSOLUTE_PATH` when `name` is absolute on any platform. Pure: no file system.
 *
 * @example
 * ```ts
 * rejectAbsolutePath('C:\\Windows\\win.ini'); // throws ExtractionError reason ABSOLUTE_PATH
 * rejectAbsolutePath('models/a.bin');         // returns
 * ```
 */
export function rejectAbsolutePath(name: string, label = name): void {
  for (const { pattern, what } of ABSOLUTE_SPELLINGS) {
    if (pattern.test(name)) {
      throw new ExtractionError(`entry name is ${what}`, { reason: 'ABSOLUTE_PATH', entryPath: label });
    }
  }
}

/**
 * True when `name` is absolute on any platform (see {@link rejectAbsolutePath}).
 *
 * @example
 * ```ts
 * isAbsoluteAnywhere('//server/share'); // true
 * ```
 */
export function isAbsoluteAnywhere(name: string): boolean {
  return ABSOLUTE_SPELLINGS.some(({ pattern }) => pattern.test(name));
}
