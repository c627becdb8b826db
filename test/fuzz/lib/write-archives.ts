// Writes a seed tree as the archives our users receive: tar (tar-stream, ustar with PAX where
// needed), tar.gz (one gzip member or several), zip (yazl, stored and deflated, zip64 forced
// or not). The writers are the honest ones; the mutators make them dishonest.
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import yazl from 'yazl';
import { fillContent } from './prng.js';
import type { Tree } from './tree.js';

const MTIME = new Date(1_700_000_000_000);

/** How a seed is written. */
export interface WriteOptions {
  /** tar: add a PAX record to every header, so PAX parsing is always on the path. */
  paxEverywhere?: boolean;
  /** tar.gz: split the tar into this many gzip members (concatenated, as `cat a.gz b.gz`). */
  gzipMembers?: number;
  /** tar.gz: zlib level. */
  gzipLevel?: number;
  /** zip: deflate file entries (else stored). */
  deflate?: boolean;
  /** zip: write zip64 records even when not needed. */
  zip64?: boolean;
}

/** A tar of `tree`, written by tar-stream. */
export async function writeTar(tree: Tree, options: WriteOptions = {}): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const node of tree.nodes) {
    const pax = options.paxEverywhere ? { pax: { comment: `fuzz ${node.path.length}` } } : {};
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      switch (node.type) {
        case 'directory':
          pack.entry({ name: `${node.path}/`, type: 'directory', mode: node.mode, mtime: MTIME, ...pax }, done);
          break;
        case 'file':
          pack.entry({ name: node.path, type: 'file', mode: node.mode, mtime: MTIME, ...pax }, fillContent(node.content), done);
          break;
        case 'symlink':
          pack.entry({ name: node.path, type: 'symlink', linkname: node.target, mode: 0o777, mtime: MTIME, ...pax }, done);
          break;
        case 'hardlink':
          pack.entry({ name: node.path, type: 'link', linkname: node.target, mode: 0o644, mtime: MTIME, ...pax }, done);
          break;
      }
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** Gzips `tar`, as one member or as several concatenated members split at even offsets. */
export function gzipMembers(tar: Buffer, members = 1, level = 6): Buffer {
  const count = Math.max(1, Math.min(members, Math.max(1, tar.length)));
  const parts: Buffer[] = [];
  const step = Math.ceil(tar.length / count);
  for (let at = 0; at < tar.length || parts.length === 0; at += Math.max(1, step)) {
    parts.push(gzipSync(tar.subarray(at, at + step), { level }));
  }
  return Buffer.concat(parts);
}

/** A tar.gz of `tree`. */
export async function writeTarGz(tree: Tree, options: WriteOptions = {}): Promise<Buffer> {
  return gzipMembers(await writeTar(tree, options), options.gzipMembers ?? 1, options.gzipLevel ?? 6);
}

/** A zip of `tree`, written by yazl; hard links become copies (a zip has none). */
export async function writeZip(tree: Tree, options: WriteOptions = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const contents = new Map<string, Buffer>();
  const common = { mtime: MTIME, forceZip64Format: options.zip64 === true };
  for (const node of tree.nodes) {
    switch (node.type) {
      case 'directory':
        zip.addEmptyDirectory(node.path, { mtime: MTIME, mode: 0o40000 | node.mode });
        break;
      case 'file': {
        const body = fillContent(node.content);
        contents.set(node.path, body);
        zip.addBuffer(body, node.path, { ...common, mode: 0o100000 | node.mode, compress: options.deflate === true });
        break;
      }
      case 'symlink':
        zip.addBuffer(Buffer.from(node.target), node.path, { ...common, mode: 0o120777, compress: false });
        break;
      case 'hardlink':
        zip.addBuffer(contents.get(node.target) ?? Buffer.alloc(0), node.path, { ...common, mode: 0o100644, compress: options.deflate === true });
        break;
    }
  }
  zip.end({ forceZip64Format: options.zip64 === true, comment: '' });
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
