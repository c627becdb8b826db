// One case of bench/repackage.ts, run in its own process so that its peak RSS is its own:
//   node --import tsx bench/lib/repackage-cases.ts <case> <model.tar.gz> <workdir>
// Prints one JSON line: { ms, extractMs?, zipMs?, outBytes, scratchPeakBytes }.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
// @ts-expect-error archiver 8 ships no types
import { ZipArchive } from 'archiver';
import * as tar from 'tar';
import yazl from 'yazl';
import { repackage } from '../../src/repackage/index.js';
import { walkSorted } from '../../src/storage/index.js';

const [name, model, work] = process.argv.slice(2);
if (!name || !model || !work) throw new Error('usage: repackage-cases.ts <case> <model> <workdir>');
const out = join(work, `${name}.zip`);
const extracted = join(work, `${name}-extracted`);

async function du(dir: string): Promise<number> {
  let total = 0;
  for await (const item of walkSorted(dir)) if (item.type === 'file') total += item.size;
  return total;
}

async function extractWithNodeTar(): Promise<number> {
  await mkdir(extracted, { recursive: true });
  const started = performance.now();
  await tar.x({ file: model!, cwd: extracted });
  return performance.now() - started;
}

async function zipWithYazl(): Promise<void> {
  const zip = new yazl.ZipFile();
  const done = pipeline(zip.outputStream, createWriteStream(out));
  for await (const item of walkSorted(extracted)) if (item.type === 'file') zip.addFile(item.absolutePath, item.relativePath);
  zip.end();
  await done;
}

async function zipWithArchiver(): Promise<void> {
  const archive = new ZipArchive({ zlib: { level: 6 } });
  const done = pipeline(archive, createWriteStream(out));
  archive.directory(`${extracted}/`, false);
  await archive.finalize();
  await done;
}

async function naive(zipStep: () => Promise<void>): Promise<Record<string, number>> {
  const extractMs = await extractWithNodeTar();
  const started = performance.now();
  await zipStep();
  const zipMs = performance.now() - started;
  // The Lambda's peak: the downloaded tarball, the extracted tree and the zip, all on /tmp.
  const scratchPeakBytes = (await stat(model!)).size + (await du(extracted)) + (await stat(out)).size;
  return { extractMs, zipMs, ms: extractMs + zipMs, scratchPeakBytes };
}

const cases: Record<string, () => Promise<Record<string, number>>> = {
  'ours-auto': async () => {
    const result = await repackage({ source: model, output: out, compression: 'auto' });
    return { ms: result.durationMs, scratchPeakBytes: 0 };
  },
  'ours-deflate': async () => {
    const result = await repackage({ source: model, output: out, compression: 'deflate' });
    return { ms: result.durationMs, scratchPeakBytes: 0 };
  },
  'naive-yazl': () => naive(zipWithYazl),
  'naive-archiver': () => naive(zipWithArchiver),
  'node-gunzip': async () => {
    const started = performance.now();
    await pipeline(createReadStream(model, { highWaterMark: 1 << 20 }), createGunzip(), new Writable({ write: (_c, _e, callback) => callback() }));
    return { ms: performance.now() - started, scratchPeakBytes: 0 };
  },
};

const run = cases[name];
if (!run) throw new Error(`unknown case ${name}; known: ${Object.keys(cases).join(', ')}`);
try {
  const report = await run();
  const outBytes = await stat(out).then((s) => s.size, () => 0);
  console.log(JSON.stringify({ ...report, outBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} finally {
  await rm(out, { force: true });
  await rm(extracted, { recursive: true, force: true });
}
