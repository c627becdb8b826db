// One case of bench/extract.ts, in its own plain Node process on the built library (dist/), so
// its peak RSS is what a user's process would see:
//   node bench/lib/extract-cases.mjs <case> <archive> <dest>
// Prints one JSON line: { extractMs, maxRssBytes }.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const [name, archive, dest] = process.argv.slice(2);
if (!name || !archive || !dest) throw new Error('usage: extract-cases.mjs <case> <archive> <dest>');
const library = name.startsWith('ours') ? await import('../../dist/index.js') : undefined;
// The floors get zlib's best settings, measured: 1 MiB reads and 256 KiB output chunks. With the
// default 16 KiB chunks the gunzip floor of the 1 GiB model took 7.3 s instead of 4.7 to 5.1, a
// floor weaker than what the library itself does (which once made ratios look better than they were).
const FLOOR_CHUNK = 256 * 1024;
// The 100,000-file shape has 100,001 entries, over the default maxEntries: raised, as the
// error's try: line tells a user to.
const limits = { maxEntries: 1_000_000 };
const nowhere = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

/** yauzl the way its README shows: one entry at a time, each body piped to its file. */
async function yauzlExtract() {
  const { default: yauzl } = await import('yauzl');
  const zip = await new Promise((resolve, reject) => yauzl.open(archive, { lazyEntries: true }, (error, z) => (error ? reject(error) : resolve(z))));
  await new Promise((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry) => {
      const path = join(dest, entry.fileName);
      if (entry.fileName.endsWith('/')) return void mkdir(path, { recursive: true }).then(() => zip.readEntry(), reject);
      zip.openReadStream(entry, (error, body) => {
        if (error) return reject(error);
        mkdir(dirname(path), { recursive: true })
          .then(() => pipeline(body, createWriteStream(path)))
          .then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
  zip.close();
}

const cases = {
  // The floor of a tar.gz: inflating its one gzip stream, written nowhere.
  'floor-gunzip': () => pipeline(createReadStream(archive, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: FLOOR_CHUNK }), nowhere()),
  'ours-1': () => new library.StreamingExtractor({ limits }).extractStreaming(archive, dest, { concurrency: 1 }),
  'ours-default': () => new library.StreamingExtractor({ limits }).extractStreaming(archive, dest),
  'ours-gunzip-worker': () => new library.StreamingExtractor({ limits, gunzipWorker: true }).extractStreaming(archive, dest),
  // Every file through the asynchronous calls, as before syncSmallFiles (and as on a network file system).
  'ours-async-small': () => new library.StreamingExtractor({ limits }).extractStreaming(archive, dest, { syncSmallFiles: false }),
  'node-tar': async () => {
    const tar = await import('tar');
    await mkdir(dest, { recursive: true });
    await tar.x({ file: archive, cwd: dest });
  },
  yauzl: yauzlExtract,
};

const run = cases[name];
if (!run) throw new Error(`unknown case ${name}; known: ${Object.keys(cases).join(', ')}`);
const started = performance.now();
await run();
console.log(JSON.stringify({ extractMs: performance.now() - started, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
