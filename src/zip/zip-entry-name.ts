import { CompressionError } from '../errors/index.js';

/**
 * Checks a name for a zip entry and returns it normalised (leading `./` removed). Refuses what
 * an unzipper could be tricked by: empty names, NUL, backslashes, absolute paths, drive letters
 * and `..` segments. (yazl would silently turn `\` into `/`; we refuse instead, as the extractor does.)
 *
 * @example
 * ```ts
 * checkZipEntryName('./model/weights.bin'); // "model/weights.bin"
 * ```
 */
export function checkZipEntryName(name: string): string {
  // From JavaScript, the arguments can come swapped (data, name): say so, not "name.replace is not a function".
  if (typeof name !== 'string') {
    throw new CompressionError(`zip entry name must be a string, got ${Buffer.isBuffer(name) ? 'a Buffer' : typeof name} (is the data passed as the name?)`, { reason: 'INVALID_NAME' });
  }
  const normalised = name.replace(/^(\.\/)+/, '');
  const refuse = (rule: string) => {
    throw new CompressionError(`zip entry name ${JSON.stringify(name)} ${rule}`, { reason: 'INVALID_NAME', entryPath: name });
  };
  if (normalised === '' || normalised === '/') refuse('is empty');
  if (normalised.includes('\0')) refuse('contains NUL');
  if (normalised.includes('\\')) refuse('contains a backslash');
  if (normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised)) refuse('is absolute');
  if (normalised.split('/').includes('..')) refuse('has a ".." segment');
  if (Buffer.byteLength(normalised) > 0xffff) refuse('is longer than 65,535 bytes in UTF-8');
  return normalised;
}
