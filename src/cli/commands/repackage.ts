import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { estimateArchiveSpace } from '../../extract/index.js';
import { repackage, type ExtraEntry } from '../../repackage/index.js';
import { formatBytes } from '../../units.js';
import { UsageError } from '../io.js';
import type { CommandContext } from './context.js';
import { zipOptions } from './zip-options.js';

/** `repackage <in> <out.zip> [--prefix DIR] [--add NAME=FILE]... [--strip-components N] [--force]`. */
export async function repackageCommand({ args, options, onProgress, print }: CommandContext): Promise<void> {
  const [source, out] = args;
  if (source === undefined || out === undefined || args.length > 2) throw new UsageError('repackage takes an input archive and an output zip');
  const prefix = options.prefix?.replace(/^\/+|\/+$/g, '');
  const extraEntries: ExtraEntry[] = [];
  for (const spec of options.add) {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1) throw new UsageError(`--add takes NAME=FILE (got ${JSON.stringify(spec)})`);
    const file = spec.slice(at + 1);
    await stat(file).catch(() => {
      throw new UsageError(`--add: cannot read ${file}`);
    });
    extraEntries.push({ name: spec.slice(0, at), data: createReadStream(file) });
  }
  // For the progress bar's total and time left; an estimate, never a gate (nothing is extracted).
  const estimate = await estimateArchiveSpace(source).catch(() => undefined);
  const result = await repackage({
    source,
    output: out,
    ...zipOptions(options),
    overwrite: options.force,
    stripComponents: options.stripComponents,
    gunzipWorker: options.gunzipWorker,
    ...(prefix ? { rename: (path: string) => `${prefix}/${path}` } : {}),
    extraEntries,
    onProgress,
    ...(estimate === undefined ? {} : { totalBytes: estimate.bytes }),
  });
  const seconds = result.durationMs / 1000;
  print({ ok: true, source, output: out, ...result }, [
    `wrote ${out}: ${result.entries} entries, ${formatBytes(result.bytesIn)} in, ${formatBytes(result.bytesOut)} out in ${seconds.toFixed(1)} s ` +
      `(${formatBytes(result.bytesIn / Math.max(seconds, 0.001))}/s, peak memory ${formatBytes(result.peakRssBytes)}, scratch disk 0 B)`,
  ]);
}
