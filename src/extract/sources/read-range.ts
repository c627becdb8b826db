// Small positional reads (a format's magic bytes, a gzip trailer) from the two kinds of source
// that allow them: an open local file and a RandomAccessSource. Never the whole archive.
import type { FileHandle } from 'node:fs/promises';
import type { RandomAccessSource } from '../types.js';

/** Reads `[start, end)` of an open file; shorter if the file ends first. */
export async function readFileRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, end - start));
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
  return buffer.subarray(0, bytesRead);
}

/** Reads `[start, end)` of a random-access source into one buffer (meant for small ranges). */
export async function readSourceRange(source: RandomAccessSource, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source.createReadStream(start, end)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
