import type { ZipCompression } from '../../zip/index.js';
import { UsageError } from '../io.js';
import type { CliOptions } from './context.js';

/** Reads `--compression`, `--level` and `--deterministic`. */
export function zipOptions(options: CliOptions): { compression: ZipCompression; level: number; deterministic: boolean } {
  const compression = (options.compression ?? 'auto') as ZipCompression;
  if (!['auto', 'deflate', 'store'].includes(compression)) throw new UsageError(`--compression must be auto, deflate or store (got ${JSON.stringify(options.compression)})`);
  const level = options.level === undefined ? 6 : Number(options.level);
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new UsageError(`--level must be an integer from 1 to 9 (got ${JSON.stringify(options.level)})`);
  return { compression, level, deterministic: options.deterministic };
}
