// Deterministic "compiled model" archives for the demo and the benchmarks.
//
// A SageMaker Neo output is mostly float32 weights (they barely compress: the low mantissa
// bits are noise), plus a shared library, a params/graph description and, in real projects,
// thousands of small text files (labels, calibration tables, configs). We reproduce that mix,
// byte-for-byte identical for a given seed, without holding any file in memory: each body is a
// Readable that produces its bytes block by block.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import yazl from 'yazl';

/** What to generate. */
export interface GenerateModelOptions {
  /** Where the archive goes (written to a temporary name, then renamed). */
  outPath: string;
  /** Archive format. */
  format: 'tar.gz' | 'tar' | 'zip';
  /** Uncompressed bytes in all (weights take what the small files and the library leave). */
  totalBytes: number;
  /** Number of small text files (a few hundred bytes to a few KiB each). Default 2,000. */
  smallFiles?: number;
  /** Seed: the same seed gives the same bytes. Default 1. */
  seed?: number;
  /** gzip level for tar.gz (SageMaker uses the default, 6). */
  gzipLevel?: number;
}

/** What was generated. */
export interface GeneratedModel {
  path: string;
  entries: number;
  uncompressedBytes: number;
  compressedBytes: number;
}

type Kind = 'weights' | 'binary' | 'text';
interface PlannedEntry {
  name: string;
  size: number;
  kind: Kind;
  seed: number;
}

const BLOCK = 1024 * 1024;
const WEIGHT_SHARD_MAX = 256 * 1024 * 1024;

/** The entries of a model of `totalBytes`, in archive order. Pure: used by tests to know what to expect. */
export function planModel(totalBytes: number, smallFiles = 2000, seed = 1): PlannedEntry[] {
  const random = xorshift(seed);
  const entries: PlannedEntry[] = [];
  let remaining = totalBytes;
  const take = (name: string, size: number, kind: Kind) => {
    const bytes = Math.max(0, Math.min(size, remaining));
    entries.push({ name, size: bytes, kind, seed: random() });
    remaining -= bytes;
  };
  take('compiled_model.json', 48 * 1024, 'text');
  take('compiled.meta', 2 * 1024, 'text');
  take('libdlr.so', Math.min(24 * 1024 * 1024, Math.floor(totalBytes / 40)), 'binary');
  take('compiled.so', Math.min(8 * 1024 * 1024, Math.floor(totalBytes / 100)), 'binary');
  for (let i = 0; i < smallFiles; i++) {
    const folder = i % 3 === 0 ? 'calibration' : i % 3 === 1 ? 'labels' : 'config';
    take(`${folder}/${String(i).padStart(5, '0')}.json`, 256 + (random() % 3840), 'text');
  }
  const shards = Math.max(1, Math.ceil(remaining / WEIGHT_SHARD_MAX));
  const shardSize = Math.ceil(remaining / shards);
  for (let i = 0; i < shards; i++) take(`compiled.params.${String(i).padStart(3, '0')}`, shardSize, 'weights');
  return entries.filter((e) => e.size > 0 || e.kind === 'text');
}

/** A Readable producing exactly the bytes of `entry`. */
export function entryBody(entry: PlannedEntry): Readable {
  let produced = 0;
  const random = xorshift(entry.seed);
  const template = entry.kind === 'weights' ? weightTemplate(entry.seed) : undefined;
  return new Readable({
    highWaterMark: BLOCK,
    read() {
      if (produced >= entry.size) {
        this.push(null);
        return;
      }
      const length = Math.min(BLOCK, entry.size - produced);
      const chunk = Buffer.allocUnsafe(length);
      fill(chunk, entry.kind, random, template);
      produced += length;
      this.push(chunk);
    },
  });
}

function fill(chunk: Buffer, kind: Kind, random: () => number, template: Uint32Array | undefined): void {
  if (kind === 'text') {
    const words = ['"scale"', '"zero_point"', '0.0123', '"label"', 'person', 'car', '{', '}', ',', '\n', ':', ' '];
    let offset = 0;
    while (offset < chunk.length) {
      const word = words[random() % words.length]!;
      offset += chunk.write(word, offset, 'latin1');
    }
    return;
  }
  const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >>> 2);
  if (kind === 'weights' && template) {
    // Gaussian-like float32s: keep sign and exponent from a template, randomise the low
    // 16 mantissa bits, so the data compresses like real weights (about 80 to 85 percent).
    for (let i = 0; i < words.length; i++) words[i] = (template[i & (template.length - 1)]! & 0xffff0000) | (random() & 0xffff);
  } else {
    // A shared library: runs of zeros (padding, tables) between noise.
    for (let i = 0; i < words.length; i++) words[i] = i % 64 < 20 ? 0 : random();
  }
  for (let i = words.length * 4; i < chunk.length; i++) chunk[i] = random() & 0xff;
}

function weightTemplate(seed: number): Uint32Array {
  const random = xorshift(seed ^ 0x9e3779b9);
  const floats = new Float32Array(1 << 16);
  for (let i = 0; i < floats.length; i += 2) {
    // Box-Muller once for the template; the body only mixes in cheap noise.
    const u = (random() + 1) / 4294967297;
    const v = (random() + 1) / 4294967297;
    const r = Math.sqrt(-2 * Math.log(u)) * 0.05;
    floats[i] = r * Math.cos(2 * Math.PI * v);
    floats[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return new Uint32Array(floats.buffer);
}

/** xorshift32: fast, deterministic, good enough for filler bytes. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 0x2545f491;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

/**
 * Writes a deterministic compiled-model-like archive. Bodies are generated as they are
 * written; nothing is held in memory but one block.
 */
export async function generateModel(options: GenerateModelOptions): Promise<GeneratedModel> {
  const plan = planModel(options.totalBytes, options.smallFiles ?? 2000, options.seed ?? 1);
  await mkdir(dirname(options.outPath), { recursive: true });
  const partial = `${options.outPath}.partial-${process.pid}`;
  try {
    if (options.format === 'zip') await writeZip(plan, partial);
    else await writeTar(plan, partial, options.format === 'tar.gz' ? (options.gzipLevel ?? 6) : undefined);
    await rename(partial, options.outPath);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return {
    path: options.outPath,
    entries: plan.length + new Set(plan.map((e) => dirname(e.name)).filter((d) => d !== '.')).size,
    uncompressedBytes: plan.reduce((sum, e) => sum + e.size, 0),
    compressedBytes: (await stat(options.outPath)).size,
  };
}

async function writeTar(plan: PlannedEntry[], outPath: string, gzipLevel: number | undefined): Promise<void> {
  const pack = tarStream.pack();
  const output = createWriteStream(outPath);
  const done =
    gzipLevel === undefined ? pipeline(pack, output) : pipeline(pack, createGzip({ level: gzipLevel }), output);
  const folders = new Set<string>();
  for (const entry of plan) {
    const folder = dirname(entry.name);
    if (folder !== '.' && !folders.has(folder)) {
      folders.add(folder);
      pack.entry({ name: `${folder}/`, type: 'directory', mode: 0o755, mtime: FIXED_MTIME });
    }
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name: entry.name, size: entry.size, mode: 0o644, mtime: FIXED_MTIME }, (error) =>
        error ? reject(error) : resolve(),
      );
      pipeline(entryBody(entry), sink).catch(reject);
    });
  }
  pack.finalize();
  await done;
}

async function writeZip(plan: PlannedEntry[], outPath: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const done = pipeline(zip.outputStream, createWriteStream(outPath));
  for (const entry of plan) {
    zip.addReadStream(entryBody(entry), entry.name, {
      mtime: FIXED_MTIME,
      mode: 0o100644,
      size: entry.size,
      // Weights are stored, as a model packager would; text is deflated.
      compress: entry.kind === 'text',
    });
  }
  zip.end();
  await done;
}

// `tsx bench/lib/generate-model.ts OUT FORMAT BYTES` generates one archive from the command line.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [outPath = 'model.tar.gz', format = 'tar.gz', bytes = String(64 * 1024 * 1024)] = process.argv.slice(2);
  const started = Date.now();
  const result = await generateModel({ outPath, format: format as GenerateModelOptions['format'], totalBytes: Number(bytes) });
  console.log(JSON.stringify({ ...result, seconds: (Date.now() - started) / 1000 }));
}
