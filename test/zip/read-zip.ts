// Test helper: reads a zip back with yauzl (an independent reader), and runs the system
// `unzip -t` when it is installed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

export interface ReadEntry {
  name: string;
  data: Buffer;
  mode: number;
  compressionMethod: number;
  /** Bytes of the entry's data as stored in the zip. */
  compressedSize: number;
  isDirectory: boolean;
}

/** Every entry of the zip at `path`, bodies included (small zips only). */
export async function readZip(path: string): Promise<{ entries: ReadEntry[]; entryCount: number }> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true });
  const entries: ReadEntry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const isDirectory = entry.fileName.endsWith('/');
      let data = Buffer.alloc(0);
      if (!isDirectory) {
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        data = Buffer.concat(chunks);
      }
      entries.push({ name: entry.fileName, data, mode: entry.externalFileAttributes >>> 16, compressionMethod: entry.compressionMethod, compressedSize: entry.compressedSize, isDirectory });
    }
    return { entries, entryCount: zip.entryCount };
  } finally {
    zip.close();
  }
}

const run = promisify(execFile);
let unzipAvailable: boolean | undefined;

/** Runs `unzip -t`; returns a skip reason when unzip is not installed. */
export async function unzipTest(path: string): Promise<{ ok: boolean; output: string } | { skipReason: string }> {
  if (unzipAvailable === undefined) unzipAvailable = await run('unzip', ['-v']).then(() => true, () => false);
  if (!unzipAvailable) return { skipReason: 'unzip is not installed; checked with yauzl only' };
  try {
    const { stdout } = await run('unzip', ['-t', '-qq', path], { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

/** The number of entries in the central directory of the zip at `path` (bodies not read). */
export async function readZipEntryCount(path: string): Promise<number> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true });
  let count = 0;
  try {
    for await (const entry of zip.eachEntry()) if (entry.fileName) count++;
    return count;
  } finally {
    zip.close();
  }
}
