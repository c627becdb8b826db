// Builds archives in memory for the tests, with tar-stream and yazl (the same libraries our
// users' archives are often made with), plus raw-header helpers for the hostile cases that no
// well-behaved writer would produce.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import yazl from 'yazl';

/** One entry to put in a test archive. */
export interface TestEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  body?: Buffer | string;
  mode?: number;
  linkname?: string;
  /** tar only: extra PAX records. */
  pax?: Record<string, string>;
  /** tar only: declared size that differs from the body. */
  size?: number;
}

/** A tar (ustar/PAX, as tar-stream writes it) of `entries`. */
export async function buildTar(entries: readonly TestEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const body = entry.body === undefined ? undefined : Buffer.from(entry.body);
    await new Promise<void>((resolve, reject) => {
      const header: Parameters<typeof pack.entry>[0] & { pax?: Record<string, string> } = {
        name: entry.name,
        type: entry.type ?? 'file',
        mode: entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644),
        mtime: new Date(1_700_000_000_000),
        ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
        ...(entry.pax === undefined ? {} : { pax: entry.pax }),
      };
      if (body !== undefined) pack.entry(header, body, (error) => (error ? reject(error) : resolve()));
      else pack.entry(header, (error) => (error ? reject(error) : resolve()));
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** A tar.gz of `entries`. */
export async function buildTarGz(entries: readonly TestEntry[]): Promise<Buffer> {
  return gzipSync(await buildTar(entries));
}

/** A zip of `entries` (files, folders, symlinks as Unix-mode entries). */
export async function buildZip(entries: readonly TestEntry[], options: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    const mtime = new Date(1_700_000_000_000);
    if (entry.type === 'directory') {
      zip.addEmptyDirectory(entry.name, { mtime, mode: 0o40000 | (entry.mode ?? 0o755) });
    } else if (entry.type === 'symlink') {
      zip.addBuffer(Buffer.from(entry.linkname ?? ''), entry.name, { mtime, mode: 0o120777, compress: false });
    } else {
      zip.addBuffer(Buffer.from(entry.body ?? ''), entry.name, { mtime, mode: 0o100000 | (entry.mode ?? 0o644), compress: options.compress ?? true });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A Readable over a buffer, in small chunks (to exercise chunk boundaries). */
export function chunked(buffer: Buffer, size = 4096): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) parts.push(buffer.subarray(i, i + size));
  return Readable.from(parts);
}

// ---- raw tar blocks, for archives no honest writer makes ----

/** Fields of a hand-made ustar header. */
export interface RawTarHeader {
  name: string;
  typeflag?: string;
  size?: number;
  mode?: number;
  linkname?: string;
  /** Overrides the 12-byte size field verbatim (e.g. "-1", "12x"). */
  rawSize?: string;
  /** Breaks the checksum on purpose. */
  badChecksum?: boolean;
  /** ustar prefix field. */
  prefix?: string;
}

/** One 512-byte ustar header block. */
export function tarHeaderBlock(h: RawTarHeader): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100, 'utf8');
  block.write(`${(h.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  const size = h.rawSize ?? `${(h.size ?? 0).toString(8).padStart(11, '0')}\0`;
  block.write(size.padEnd(12, '\0').slice(0, 12), 124, 'latin1');
  block.write('14540000000\0', 136, 'latin1');
  block.write(h.typeflag ?? '0', 156, 'latin1');
  if (h.linkname !== undefined) block.write(h.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  if (h.prefix !== undefined) block.write(h.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  if (h.badChecksum) sum += 1;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A header block followed by its body padded to 512. */
export function tarRecord(h: RawTarHeader, body: Buffer | string = ''): Buffer {
  const data = Buffer.from(body);
  const header = tarHeaderBlock({ size: data.length, ...h });
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding]);
}

/** A PAX record body: "<len> key=value\n" lines. */
export function paxBody(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const rest = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(rest) + 1;
    while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
    return `${length}${rest}`;
  });
  return Buffer.from(lines.join(''));
}

/** The two zero blocks that end a tar. */
export const TAR_END = Buffer.alloc(1024);

/** A complete tar from raw records. */
export function rawTar(...records: Buffer[]): Buffer {
  return Buffer.concat([...records, TAR_END]);
}
