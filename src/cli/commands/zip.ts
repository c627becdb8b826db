import { formatBytes } from '../../units.js';
import { createZipStreaming } from '../../zip/index.js';
import { UsageError } from '../io.js';
import type { CommandContext } from './context.js';
import { zipOptions } from './zip-options.js';

/** `zip <dir> <out.zip> [--delete-after-add] [--force]`. */
export async function zipCommand({ args, options, onProgress, print }: CommandContext): Promise<void> {
  const [dir, out] = args;
  if (dir === undefined || out === undefined || args.length > 2) throw new UsageError('zip takes a folder and an output zip');
  const result = await createZipStreaming(dir, out, { ...zipOptions(options), overwrite: options.force, deleteAfterAdd: options.deleteAfterAdd, onProgress });
  print({ ok: true, source: dir, output: out, ...result }, [
    `wrote ${out}: ${result.entries} entries, ${formatBytes(result.bytesIn)} in, ${formatBytes(result.bytesWritten)} out (${result.deflatedEntries} deflated, ${result.storedEntries} stored) in ${(result.durationMs / 1000).toFixed(1)} s`,
  ]);
}
