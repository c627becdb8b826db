// One case of bench/shapes.ts, in its own plain Node process (no TypeScript loader, the built
// library from dist/), so that its peak RSS is what a user's process would see:
//   node bench/lib/shape-cases.mjs <case> <archive.tar.gz> <workdir>
// Prints one JSON line: { ms, outBytes, maxRssBytes }.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw, createGunzip } from 'node:zlib';

const [name, archive, work] = process.argv.slice(2);
if (!name || !archive || !work) throw new Error('usage: shape-cases.mjs <case> <archive> <workdir>');
const out = join(work, `${name}.zip`);
const extracted = join(work, `${name}-extracted`);
// Loaded before the clock starts: the cases time the work, not the import.
const library = name.startsWith('ours') ? await import('../../dist/index.js') : undefined;
// The 100,000-file shape has 100,001 entries (its folder too): over the default maxEntries
// (100,000), so the cases raise it, as the error's try: line tells a user to.
const limits = { maxEntries: 1_000_000 };
// The floors get zlib's best settings, measured: 1 MiB reads and 256 KiB output chunks. With the
// default 16 KiB chunks the gunzip floor of the 1 GiB model took 7.3 s instead of 4.7 to 5.1, a
// floor weaker than what the library itself does (which once made ratios look better than they were).
const FLOOR_CHUNK = 256 * 1024;
const nowhere = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

async function* files(dir) {
  for (const item of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, item.name);
    if (item.isDirectory()) yield* files(path);
    else if (item.isFile()) yield path;
  }
}

async function naive(zipStep) {
  const tar = await import('tar');
  await mkdir(extracted, { recursive: true });
  await tar.x({ file: archive, cwd: extracted });
  await zipStep();
}

const cases = {
  // The floors: what cannot be avoided. Inflating the one gzip stream, and that plus one
  // continuous level-6 deflate of everything (the least a zip writer must also do).
  'floor-gunzip': () => pipeline(createReadStream(archive, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: FLOOR_CHUNK }), nowhere()),
  'floor-gunzip-deflate': () => pipeline(createReadStream(archive, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: FLOOR_CHUNK }), createDeflateRaw({ level: 6, chunkSize: FLOOR_CHUNK }), nowhere()),
  'ours-1-worker': async () => {
    await library.repackage({ source: archive, output: out, compression: 'auto', deflateWorkers: 1, limits });
  },
  'ours-gunzip-worker': async () => {
    await library.repackage({ source: archive, output: out, compression: 'auto', deflateWorkers: 1, gunzipWorker: true, limits });
  },
  'ours-n-workers': async () => {
    const { availableParallelism } = await import('node:os');
    await library.repackage({ source: archive, output: out, compression: 'auto', deflateWorkers: availableParallelism(), limits });
  },
  'naive-yazl': () =>
    naive(async () => {
      const { default: yazl } = await import('yazl');
      const zip = new yazl.ZipFile();
      const done = pipeline(zip.outputStream, createWriteStream(out));
      for await (const path of files(extracted)) zip.addFile(path, relative(extracted, path));
      zip.end();
      await done;
    }),
  'naive-archiver': () =>
    naive(async () => {
      const { ZipArchive } = await import('archiver');
      const zip = new ZipArchive({ zlib: { level: 6 } });
      const done = pipeline(zip, createWriteStream(out));
      zip.directory(`${extracted}/`, false);
      await zip.finalize();
      await done;
    }),
};

const run = cases[name];
if (!run) throw new Error(`unknown case ${name}; known: ${Object.keys(cases).join(', ')}`);
// A run that was killed leaves its output behind; it must not make the next one fail.
await rm(out, { force: true });
await rm(extracted, { recursive: true, force: true });
try {
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const outBytes = await stat(out).then((s) => s.size, () => 0);
  console.log(JSON.stringify({ ms, outBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} finally {
  await rm(out, { force: true });
  await rm(extracted, { recursive: true, force: true });
}

