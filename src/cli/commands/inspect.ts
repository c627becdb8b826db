import { getArchiveInfo, estimateArchiveSpace } from '../../extract/index.js';
import { readDiskSpace } from '../../storage/disk-space.js';
import { formatBytes } from '../../units.js';
import { UsageError } from '../io.js';
import type { CommandContext } from './context.js';
import { tmpdir } from 'node:os';

/** `inspect <archive>`: format, entries, totals and the disk an extraction would need. */
export async function inspectCommand({ args, print }: CommandContext): Promise<void> {
  const [archive] = args;
  if (archive === undefined || args.length > 1) throw new UsageError('inspect takes one archive');
  const [info, estimate, disk] = await Promise.all([getArchiveInfo(archive), estimateArchiveSpace(archive), readDiskSpace(tmpdir())]);
  const counts = { files: 0, directories: 0, links: 0 };
  for (const entry of info.entries) {
    if (entry.type === 'file') counts.files++;
    else if (entry.type === 'directory') counts.directories++;
    else counts.links++;
  }
  const needed = estimate.diskBytes ?? estimate.bytes;
  const lines = [
    `${archive}: ${info.format}, ${info.entryCount} entries (${counts.files} files, ${counts.directories} folders, ${counts.links} links)`,
    `uncompressed: ${formatBytes(info.totalBytes)}${info.compressedBytes === undefined ? '' : `, archive ${formatBytes(info.compressedBytes)}`}`,
    `extracting needs about ${formatBytes(needed)} (${estimate.exact ? 'exact' : 'estimated'}); ${formatBytes(disk.availableBytes)} free in ${tmpdir()}`,
    `repackaging to a zip streamed elsewhere needs 0 bytes of scratch disk`,
  ];
  print(
    {
      ok: true,
      archive,
      format: info.format,
      entries: info.entryCount,
      ...counts,
      uncompressedBytes: info.totalBytes,
      compressedBytes: info.compressedBytes,
      estimate,
      freeBytes: disk.availableBytes,
      tmpdir: tmpdir(),
    },
    lines,
  );
}
