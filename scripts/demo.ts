// `npm run demo`: the problem and the fix, on a real 512 MiB disk (Lambda's default /tmp).
//
// 1. Generates a sample compiled model (1 GiB uncompressed, deterministic) into .demo-data/
//    the first time (about a minute); later runs reuse it.
// 2. Mounts a 512 MiB tmpfs as the function's /tmp (falls back to a software budget, with a
//    note, where mounting is refused; DEMO_NO_TMPFS=1 forces the fallback, to try it as root).
// 3. The naive packaging (download the tarball to /tmp, extract, zip) fails with a typed
//    InsufficientStorageError that says what was needed and what to do.
// 4. repackage() streams the same tarball (read from .demo-data/, standing in for the S3 GetObject
//    stream) into a Greengrass component zip (written to .demo-data/out/, standing in for the S3
//    upload), with the stage folder and manifest.json, using 0 bytes of the 512 MiB disk.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { generateModel } from '../bench/lib/generate-model.js';
import { InsufficientStorageError, isStorageError } from '../src/errors/index.js';
import { StreamingExtractor } from '../src/extract/index.js';
import { repackage } from '../src/repackage/index.js';
import { isDiskFullError, readDiskSpace } from '../src/storage/disk-space.js';
import { formatBytes, GiB, MiB } from '../src/units.js';

const DATA = resolve('.demo-data');
const MODEL_BYTES = 1 * GiB;
const LAMBDA_TMP_BYTES = 512 * MiB;
const STAGE = 'jetson-xavier';
const model = join(DATA, `model-${MODEL_BYTES}-seed1.tar.gz`);

const say = (text = '') => console.log(text);
const step = (text: string) => say(`\n== ${text}`);

async function ensureModel(): Promise<void> {
  if (existsSync(model)) {
    say(`model: ${model} (${formatBytes((await stat(model)).size)}, cached)`);
    return;
  }
  say(`generating a ${formatBytes(MODEL_BYTES)} sample compiled model (once; about a minute)...`);
  const started = Date.now();
  const generated = await generateModel({ outPath: model, format: 'tar.gz', totalBytes: MODEL_BYTES, seed: 1 });
  say(`model: ${model}: ${generated.entries} entries, ${formatBytes(generated.uncompressedBytes)} uncompressed, ${formatBytes(generated.compressedBytes)} as tar.gz (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

interface LambdaTmp {
  path: string;
  real: boolean;
  release(): void;
}

function mountLambdaTmp(): LambdaTmp {
  const path = mkdtempSync(join(tmpdir(), 'demo-lambda-tmp-'));
  try {
    if (process.env.DEMO_NO_TMPFS === '1') throw new Error('DEMO_NO_TMPFS=1');
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${LAMBDA_TMP_BYTES},mode=0755`, 'tmpfs', path], { stdio: 'pipe' });
    return { path, real: true, release: () => (execFileSync('umount', ['-l', path]), rmSync(path, { recursive: true, force: true })) };
  } catch (error) {
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    say(`note: cannot mount a tmpfs here (${why}); using a software budget of ${formatBytes(LAMBDA_TMP_BYTES)} instead. Run as root for the real disk.`);
    return { path, real: false, release: () => rmSync(path, { recursive: true, force: true }) };
  }
}

async function freeBytes(tmp: LambdaTmp): Promise<number> {
  return tmp.real ? (await readDiskSpace(tmp.path)).availableBytes : LAMBDA_TMP_BYTES;
}

/** The original Lambda: download the tarball into /tmp, extract it, zip the folder. */
async function naivePackaging(tmp: LambdaTmp): Promise<void> {
  const tarball = join(tmp.path, 'model.tar.gz');
  const size = (await stat(model)).size;
  const free = await freeBytes(tmp);
  say(`step 1, download model.tar.gz (${formatBytes(size)}) to /tmp (${formatBytes(free)} free)`);
  try {
    if (!tmp.real && size > LAMBDA_TMP_BYTES) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    await pipeline(createReadStream(model), createWriteStream(tarball));
  } catch (error) {
    // What was free when the download started is the figure that explains the failure (at the
    // moment of ENOSPC the disk is, by definition, full).
    if (!isDiskFullError(error)) throw error;
    report(new InsufficientStorageError({ requiredBytes: size, availableBytes: free, path: tmp.path, totalBytes: LAMBDA_TMP_BYTES, operation: 'downloading model.tar.gz', cause: error }));
  } finally {
    rmSync(tarball, { force: true });
  }
  say(`step 1 again, streaming the download straight into the extractor (no tarball on disk)`);
  try {
    const extractor = new StreamingExtractor(tmp.real ? {} : { storage: softwareBudget(tmp.path) });
    await extractor.extractStreaming(model, join(tmp.path, 'model_artifacts', STAGE));
    say('unexpected: the extraction fitted');
  } catch (error) {
    report(error);
  }
}

/** Where mounting is refused: a disk that says it has 512 MiB free. */
function softwareBudget(path: string) {
  return {
    path,
    getAvailableSpace: async () => LAMBDA_TMP_BYTES,
    async ensureSpace(bytes: number, options: { operation?: string } = {}) {
      if (bytes > LAMBDA_TMP_BYTES) {
        throw new InsufficientStorageError({ requiredBytes: bytes, availableBytes: LAMBDA_TMP_BYTES, totalBytes: LAMBDA_TMP_BYTES, path, ...(options.operation ? { operation: options.operation } : {}) });
      }
    },
  };
}

function report(error: unknown): void {
  if (error instanceof InsufficientStorageError) {
    say(`  -> ${error.name}: ${error.message}`);
    say(`     (required ${formatBytes(error.requiredBytes)}, available ${formatBytes(error.availableBytes)}, code ${error.code})`);
  } else if (isStorageError(error)) say(`  -> ${error.name} (${error.code}): ${error.message}`);
  else throw error;
}

async function streamingPackaging(tmp: LambdaTmp): Promise<void> {
  const outDir = join(DATA, 'out');
  mkdirSync(outDir, { recursive: true });
  const output = join(outDir, 'demo_greengrass_model_component.zip');
  const manifest = { componentName: 'com.example.model', stage: STAGE, modelFile: `${STAGE}/compiled.params.000`, createdBy: 'storage-safe-archive demo' };
  // Sample the 512 MiB disk while repackaging: the peak is what the function would have used.
  const before = (await readDiskSpace(tmp.path)).usedBytes;
  let peakDisk = 0;
  const watch = setInterval(() => {
    if (tmp.real) void readDiskSpace(tmp.path).then((d) => (peakDisk = Math.max(peakDisk, d.usedBytes - before)));
  }, 50);
  // Anything that would fall back to os.tmpdir() lands on the small disk.
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp.path;
  let lastShown = 0;
  try {
    const result = await repackage({
      source: createReadStream(model, { highWaterMark: 1 * MiB }),
      output,
      // The demo is meant to be run again: its own zip from an earlier run is replaced (only
      // once the new one is whole), where a user's existing file would be refused.
      overwrite: true,
      rename: (path) => `${STAGE}/${path}`,
      extraEntries: [{ name: 'manifest.json', data: JSON.stringify(manifest, null, 2) }],
      compression: 'auto',
      onProgress: (p) => {
        if (p.bytesProcessed - lastShown >= 256 * MiB) {
          lastShown = p.bytesProcessed;
          say(`  ${formatBytes(p.bytesProcessed)} through, ${p.filesProcessed} entries`);
        }
      },
    });
    const seconds = result.durationMs / 1000;
    const zip = await yauzl.openPromise(output, { lazyEntries: true });
    const entries = zip.entryCount;
    zip.close();
    say(`  done: ${result.entries} entries (${result.storedEntries} stored, ${result.deflatedEntries} deflated), zip ${formatBytes(result.bytesOut)} read back with ${entries} entries`);
    const tarball = (await stat(model)).size;
    say(`  time ${seconds.toFixed(1)} s, throughput ${formatBytes(result.bytesIn / seconds)}/s uncompressed (${formatBytes(tarball / seconds)}/s of tar.gz)`);
    say(`  peak memory (RSS) ${formatBytes(result.peakRssBytes)}, peak disk on the 512 MiB /tmp ${tmp.real ? formatBytes(peakDisk) : 'not measured (software budget)'}`);
    say(`  output: ${output}`);
  } finally {
    clearInterval(watch);
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
}

step('a sample compiled model');
await ensureModel();
const tmp = mountLambdaTmp();
try {
  step(`the naive packaging, in a ${formatBytes(LAMBDA_TMP_BYTES)} /tmp${tmp.real ? ' (a real tmpfs)' : ''}`);
  await naivePackaging(tmp);
  step(`repackage(): tar.gz stream -> Greengrass zip stream, ${STAGE}/ + manifest.json`);
  await streamingPackaging(tmp);
} finally {
  tmp.release();
}
