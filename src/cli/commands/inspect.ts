import { getArchiveInfo, estimateArchiveSpace, type ArchiveInfoEntry } from '../../extract/index.js';
import { readDiskSpace } from '../../storage/disk-space.js';
import { formatBytes } from '../../units.js';
import { UsageError } from '../io.js';
import type { CommandContext } from './context.js';
import { tmpdir } from 'node:os';

/** One entry as `tar -tv` shows it: mode, size, time, path (and a link's target). */
export function formatListingLine(entry: ArchiveInfoEntry, sizeWidth: number): string {
  const kind = entry.type === 'directory' ? 'd' : entry.type === 'symlink' ? 'l' : entry.type === 'hardlink' ? 'h' : '-';
  const bits = 'rwxrwxrwx'.split('').map((letter, i) => ((entry.mode >> (8 - i)) & 1 ? letter : '-')).join('');
  const time = entry.mtime.toISOString().slice(0, 16).replace('T', ' ');
  // Names come from the archive: control characters are escaped so they cannot drive the terminal.
  const name = JSON.stringify(entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path).slice(1, -1);
  const target = entry.linkTarget === undefined ? '' : ` ${entry.type === 'hardlink' ? 'link to' : '->'} ${JSON.stringify(entry.linkTarget).slice(1, -1)}`;
  return `${kind}${bits} ${String(entry.size).padStart(sizeWidth)} ${time} ${name}${target}`;
}

/** `inspect <archive> [--list]`: format, entries, totals and the disk an extraction would need. */
export async function inspectCommand({ args, options, print }: CommandContext): Promise<void> {
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
  const sizeWidth = String(Math.max(0, ...info.entries.map((entry) => entry.size))).length;
  const listing = options.list ? info.entries.map((entry) => formatListingLine(entry, sizeWidth)) : [];
  const lines = [
    ...listing,
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
      ...(options.list
        ? { listing: info.entries.map((entry) => ({ path: entry.path, type: entry.type, size: entry.size, mode: entry.mode, mtime: entry.mtime.toISOString(), ...(entry.linkTarget === undefined ? {} : { linkTarget: entry.linkTarget }) })) }
        : {}),
    },
    lines,
  );
}
