// One case of bench/zip-source.ts, in its own plain Node process on the built library (dist/):
//   node bench/lib/zip-source-cases.mjs <case> <archive.zip> <workdir>
// Prints one JSON line: { ms, maxRssBytes }.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [name, archive, work] = process.argv.slice(2);
if (!name || !archive || !work) throw new Error('usage: zip-source-cases.mjs <case> <archive.zip> <workdir>');
const library = name.startsWith('ours') ? await import('../../dist/index.js') : undefined;
const limits = { maxEntries: 1_000_000 };
const nowhere = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

const cases = {
  // The peer library read the way its README shows: every entry, one at a time, inflated to nowhere.
  'yauzl-read': async () => {
    const { default: yauzl } = await import('yauzl');
    const zip = await new Promise((resolve, reject) => yauzl.open(archive, { lazyEntries: true }, (error, z) => (error ? reject(error) : resolve(z))));
    await new Promise((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (error, body) => (error ? reject(error) : pipeline(body, nowhere()).then(() => zip.readEntry(), reject)));
      });
      zip.readEntry();
    });
    zip.close();
  },
  // Every body read through entries() (streams, CRC and size checked), written nowhere.
  'ours-entries': async () => {
    for await (const entry of new library.StreamingExtractor({ limits }).entries(archive)) {
      if (entry.type === 'file') await pipeline(entry.body, nowhere());
    }
  },
  // The extractor, as a user calls it: every file written under work/extracted.
  'ours-extract': () => new library.StreamingExtractor({ limits }).extractStreaming(archive, join(work, 'extracted')),
  // zip in, zip out: small entries read whole (one range read, one inflate), then re-deflated.
  'ours-repackage': () => library.repackage({ source: archive, output: join(work, 'repackaged.zip'), overwrite: true, deflateWorkers: 1, limits }),
};

const run = cases[name];
if (!run) throw new Error(`unknown case ${name}; known: ${Object.keys(cases).join(', ')}`);
const started = performance.now();
await run();
console.log(JSON.stringify({ ms: performance.now() - started, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
