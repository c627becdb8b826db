import { StreamingExtractor } from '../../extract/index.js';
import { formatBytes } from '../../units.js';
import { UsageError } from '../io.js';
import type { CommandContext } from './context.js';

/** `extract <archive> <dir> [--only GLOB]...`. */
export async function extractCommand({ args, options, onProgress, print }: CommandContext): Promise<void> {
  const [archive, dir] = args;
  if (archive === undefined || dir === undefined || args.length > 2) throw new UsageError('extract takes an archive and a destination folder');
  const extractor = new StreamingExtractor({ onProgress });
  const result = options.only.length > 0 ? await extractor.extractSelective(archive, dir, options.only) : await extractor.extractStreaming(archive, dir);
  print({ ok: true, archive, destination: dir, ...result }, [
    `extracted ${result.files} files, ${result.directories} folders, ${result.links} links (${formatBytes(result.bytesWritten)}) to ${dir} in ${(result.durationMs / 1000).toFixed(1)} s${result.skipped ? `; ${result.skipped} entries skipped` : ''}`,
  ]);
}
