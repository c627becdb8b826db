// Deflate on other cores. A small pool of worker threads runs the same deflateSegment() as the
// main thread (segment-deflate.ts), so a zip's bytes are the same with 1 worker or 6; the main
// thread keeps reading, parsing and CRC-ing while segments compress. The workers are started
// on first use, shared by every zipper in the process, and never keep the process alive when idle.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { deflateChunkBytes, deflateSegment, deflateWindowBits, DICTIONARY_BYTES, SEGMENT_BYTES, type DeflateJob, type SegmentDeflater } from './segment-deflate.js';

// The worker's code, evaluated as CommonJS: no file to resolve, so bundles (esbuild for Lambda,
// our own CJS and ESM builds) carry it as they carry any string. It must compute exactly what
// deflateSegment() computes; test/zip/deflate-pool.test.ts holds the two together.
//
// Buffers that cross threads are never left to the garbage collector: V8 collects them late (it
// lets tens of MiB of dead transferred buffers pile up per thread, measured in
// docs/performance.md). So the same few input buffers go back and forth: the worker writes its
// output over the input it no longer needs and sends the buffer back, the pool copies the output
// out and reuses the buffer for the next job.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { constants, deflateRawSync } = require('node:zlib');
parentPort.on('message', (job) => {
  try {
    const dictionary = job.dictionaryLength > 0 ? new Uint8Array(job.buffer, 0, job.dictionaryLength) : undefined;
    const data = new Uint8Array(job.buffer, job.dictionaryLength, job.dataLength);
    const out = deflateRawSync(data, {
      level: job.level,
      windowBits: job.windowBits,
      chunkSize: job.chunkSize,
      finishFlush: job.final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      ...(dictionary ? { dictionary } : {}),
    });
    // The output goes as it is, zlib's own buffer handed over: nothing is left here to collect.
    const output = out.byteOffset === 0 ? out : Uint8Array.prototype.slice.call(out);
    parentPort.postMessage({ id: job.id, buffer: output.buffer, length: output.length, spare: job.buffer }, [output.buffer, job.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, spare: job.buffer, error: String((error && error.message) || error) }, [job.buffer]);
  }
});
`;

/** A job waiting for, or on, a worker. */
interface Task {
  job: DeflateJob;
  windowBits: number;
  resolve: (bytes: Buffer) => void;
  reject: (error: Error) => void;
}

/** What a worker sends back: the output in `buffer` (over the job's input), or an error. */
interface WorkerReply {
  id: number;
  buffer?: ArrayBuffer;
  length?: number;
  /** The job's input buffer, when the output did not go back in it. */
  spare?: ArrayBuffer;
  error?: string;
}

interface PoolWorker {
  worker: Worker;
  /** Tasks posted to this worker, by message id: one working, one waiting in its port. */
  readonly tasks: Map<number, Task>;
}

/** Tasks a worker holds at once: one being compressed, one queued so it never waits for us. */
const TASKS_PER_WORKER = 2;
/** Buffers for whole segments (the big jobs) are reused; a few are kept spare. */
const SEGMENT_BUFFER_BYTES = SEGMENT_BYTES + DICTIONARY_BYTES;
const MAX_SPARE_BUFFERS = 4;

/** Segments smaller than this are deflated on the calling thread: a round trip costs more than the work. */
const OFFLOAD_MIN_BYTES = 16 * 1024;

/**
 * Deflates segments on up to `size` worker threads. Tasks beyond what the workers hold wait here,
 * holding only the caller's buffers (which the zipper's output window already counts): memory
 * in the pool is at most `size × 2` segment buffers, whatever is queued.
 *
 * @example
 * ```ts
 * const pool = new DeflatePool(2);
 * const bytes = await pool.deflate({ data, dictionary: undefined, final: true, level: 6 }, 15);
 * ```
 */
class DeflatePool {
  readonly #workers: PoolWorker[] = [];
  readonly #waiting: Task[] = [];
  readonly #spare: ArrayBuffer[] = [];
  #nextId = 0;
  #size: number;

  constructor(size: number) {
    this.#size = size;
  }

  /** Lets the pool grow to `size` workers. */
  grow(size: number): void {
    this.#size = Math.max(this.#size, size);
  }

  deflate(job: DeflateJob, windowBits: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.#waiting.push({ job, windowBits, resolve, reject });
      this.#dispatch();
    });
  }

  /** Hands waiting tasks to workers with room, starting workers up to the pool's size. */
  #dispatch(): void {
    while (this.#waiting.length > 0) {
      const worker = this.#withRoom();
      if (!worker) return;
      this.#post(worker, this.#waiting.shift()!);
    }
  }

  #withRoom(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) if (w.tasks.size < TASKS_PER_WORKER && (!best || w.tasks.size < best.tasks.size)) best = w;
    if (best?.tasks.size === 0 || this.#workers.length >= this.#size) return best;
    return this.#start();
  }

  #post(worker: PoolWorker, task: Task): void {
    const { job } = task;
    const id = this.#nextId++;
    // Dictionary then data in one buffer handed over (not copied again) to the worker; it comes
    // back with the output, to be reused. The caller's buffers stay its own.
    const dictionaryLength = job.dictionary?.length ?? 0;
    const dataLength = job.data.length;
    const chunkSize = deflateChunkBytes(dataLength);
    const buffer = this.#buffer(dictionaryLength + dataLength);
    const bytes = new Uint8Array(buffer);
    if (job.dictionary) bytes.set(job.dictionary, 0);
    bytes.set(job.data, dictionaryLength);
    if (worker.tasks.size === 0) worker.worker.ref();
    worker.tasks.set(id, task);
    worker.worker.postMessage({ id, buffer, dictionaryLength, dataLength, final: job.final, level: job.level, windowBits: task.windowBits, chunkSize }, [buffer]);
  }

  /** A buffer of at least `bytes`: a spare segment buffer when it is a segment's job. */
  #buffer(bytes: number): ArrayBuffer {
    if (bytes > SEGMENT_BUFFER_BYTES / 4 && bytes <= SEGMENT_BUFFER_BYTES) return this.#spare.pop() ?? new ArrayBuffer(SEGMENT_BUFFER_BYTES);
    return new ArrayBuffer(bytes);
  }

  #recycle(buffer: ArrayBuffer | undefined): void {
    if (buffer?.byteLength === SEGMENT_BUFFER_BYTES && this.#spare.length < MAX_SPARE_BUFFERS) this.#spare.push(buffer);
  }

  #start(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
    const entry: PoolWorker = { worker, tasks: new Map() };
    worker.unref();
    worker.on('message', (message: WorkerReply) => this.#settle(entry, message));
    worker.on('error', (error) => this.#lose(entry, error));
    worker.on('exit', (code) => this.#lose(entry, new Error(`a deflate worker thread exited (code ${code})`)));
    this.#workers.push(entry);
    return entry;
  }

  #settle(worker: PoolWorker, message: WorkerReply): void {
    const task = worker.tasks.get(message.id);
    worker.tasks.delete(message.id);
    if (worker.tasks.size === 0) worker.worker.unref();
    let output: Buffer | undefined;
    if (message.buffer) output = Buffer.from(message.buffer, 0, message.length);
    this.#recycle(message.spare);
    this.#dispatch();
    if (!task) return;
    if (output) task.resolve(output);
    else task.reject(new Error(`deflate failed in a worker thread: ${message.error}`));
  }

  /** A worker died: its tasks fail (the zip fails with them); waiting tasks go to the others. */
  #lose(entry: PoolWorker, error: Error): void {
    const index = this.#workers.indexOf(entry);
    if (index === -1) return;
    this.#workers.splice(index, 1);
    for (const task of entry.tasks.values()) task.reject(error);
    entry.tasks.clear();
    this.#dispatch();
  }
}

let shared: DeflatePool | undefined;

/**
 * A {@link SegmentDeflater} that uses `workers` worker threads (shared by every zipper in the
 * process). `1` means no worker: everything on the calling thread.
 *
 * @example
 * ```ts
 * const deflater = segmentDeflater(defaultDeflateWorkers());
 * ```
 */
export function segmentDeflater(workers: number): SegmentDeflater {
  if (workers <= 1) return { deflate: deflateSegment, parallelism: 1 };
  if (shared) shared.grow(workers);
  else shared = new DeflatePool(workers);
  const pool = shared;
  return {
    parallelism: workers,
    deflate: (job) => (job.data.length < OFFLOAD_MIN_BYTES ? deflateSegment(job) : pool.deflate(job, deflateWindowBits(job))),
  };
}

/**
 * Workers by default: one per core the process may use, less the one the calling thread needs to
 * read and inflate the source (`os.availableParallelism() - 1`; at least 1, which deflates on the
 * calling thread). On 2 cores a pool of 2 beside the inflating thread was no faster on the
 * model and mixed shapes and held 30 to 40 MiB more (docs/performance.md).
 *
 * @example
 * ```ts
 * new IncrementalZipper('out.zip', { deflateWorkers: defaultDeflateWorkers() });
 * ```
 */
export function defaultDeflateWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}
