import { StreamingExtractor } from '../../extract/index.js';
import { formatBytes } from '../../units.js';
import { UsageError } from '../io.js';
import type { CommandContext } from './context.js';

/** `extract <archive> <dir> [--only GLOB]... [--strip-components N]`. */
export async function extractCommand({ args, options, onProgress, print }: CommandContext): Promise<void> {
  const [archive, dir] = args;
  if (archive === undefined || dir === undefined || args.length > 2) throw new UsageError('extract takes an archive and a destination folder');
  const extractor = new StreamingExtractor({ onProgress, stripComponents: options.stripComponents, gunzipWorker: options.gunzipWorker });
  const result = options.only.length > 0 ? await extractor.extractSelective(archive, dir, options.only) : await extractor.extractStreaming(archive, dir);
  const lines = [
    `extracted ${result.files} files, ${result.directories} folders, ${result.links} links (${formatBytes(result.bytesWritten)}) to ${dir} in ${(result.durationMs / 1000).toFixed(1)} s${result.skipped ? `; ${result.skipped} entries skipped` : ''}`,
  ];
  // A hard link to a file --only left out cannot be made; say which, or it silently goes missing.
  const unlinked = result.hardLinksSkipped;
  // Names come from the archive: quoted, so control characters cannot drive the terminal.
  if (unlinked.length > 0) lines.push(`${unlinked.length} hard link(s) not made, their target not selected: ${unlinked.slice(0, 5).map((p) => JSON.stringify(p)).join(', ')}${unlinked.length > 5 ? ', ...' : ''}`);
  print({ ok: true, archive, destination: dir, ...result }, lines);
}
