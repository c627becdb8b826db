// Gunzip on a worker thread. Node's zlib inflates on the thread pool, but comes back to the
// calling thread after every output chunk and waits for it there: while that thread hashes,
// CRCs, deflates or writes, inflate stands still, so the two took turns instead of overlapping
// (docs/performance.md, "Gunzip on a worker thread"). On a worker whose only work is the gunzip,
// each round trip is answered at once; this thread only receives the chunks.
//
// The bytes and the errors are createGunzip's own: the worker runs createGunzip (concatenated
// members, the trailer's CRC and length). Memory is bounded and allocation-free per chunk:
// - compressed bytes sit in a few fixed input slots (read by the worker itself from a file, or
//   copied in by this thread from a stream), reused, never a buffer per chunk;
// - decompressed bytes travel in zlib's own output buffers, handed over whole once zlib has
//   filled one (it starts a new one then): no copy, and nothing left to the worker's garbage
//   collector, which runs too seldom (dead buffers piled up to 42 MiB there, measured). They die
//   on this thread instead, still later than they could: that is most of what the option costs
//   in memory (docs/performance.md). Only the last buffer, which zlib may still flush into, is copied.
// - the worker stops inflating while this thread holds OUTPUT_WINDOW_BYTES it has not taken.
//
// The ratio limit is judged on what zlib itself consumed (reported with every hand-over), which
// is exact: read-ahead never makes a bomb look less compressed than it is.
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { assertRatio } from '../policy/limits.js';
import { ChunkCoalescer } from './coalesce-chunks.js';
import type { CheckedGunzip } from './gunzip.js';

/**
 * zlib's output buffer on the worker: one hand-over each. 512 KiB rather than 256 made the 1 GiB
 * model 1.03x to 1.08x faster at the same peak RSS (alternating runs, docs/performance.md).
 */
const CHUNK_BYTES = 512 * 1024;
/** Decompressed bytes the worker may have handed over that this thread has not taken yet. */
const OUTPUT_WINDOW_BYTES = 2 * 1024 * 1024;
/** Compressed bytes live in these slots: one being inflated, the next ones ready. */
const INPUT_SLOTS = 3;
const INPUT_SLOT_BYTES = 1024 * 1024;

// Evaluated as CommonJS: no file to resolve, so every bundle carries it (as deflate-pool.ts).
// A file is read with readSync: a termination can then never land during a read into our slots
// (it waits for the JavaScript turn), and the inflate runs on the pool meanwhile.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createGunzip } = require('node:zlib');
const { fd, slots, slotBytes, chunkBytes, windowBytes } = workerData;
const input = fd === undefined ? Buffer.from(workerData.input) : Buffer.allocUnsafeSlow(slots * slotBytes);
const gunzip = createGunzip({ chunkSize: chunkBytes });
const fail = (error) => parentPort.postMessage({ type: 'error', message: error.message, code: error.code, errno: error.errno, syscall: error.syscall });
let unacknowledged = 0;
let held;
let slices = [];
const handOver = () => {
  parentPort.postMessage({ type: 'data', buffer: held, slices, consumed: gunzip.bytesWritten }, [held]);
  held = undefined;
  slices = [];
};
// Read with its async iterator, as the calling thread reads its gunzip: output and errors come
// out in the same order.
let resumeOutput;
const takeChunk = (chunk) => {
  unacknowledged += chunk.byteLength;
  if (held !== undefined && chunk.buffer !== held) handOver();
  held = chunk.buffer;
  slices.push(chunk.byteOffset, chunk.byteLength);
  if (chunk.byteOffset + chunk.byteLength === held.byteLength) handOver();
};
// At the end, or at an error, zlib may still write into the buffer it holds (it ends the output
// early on bytes after the last member, then flushes): what it made so far is copied out of it,
// never taken, and goes before the end or the error, as on the calling thread.
const handOverCopy = () => {
  if (held === undefined) return;
  let bytes = 0;
  for (let i = 1; i < slices.length; i += 2) bytes += slices[i];
  const copy = new Uint8Array(bytes);
  const copied = [];
  for (let i = 0, at = 0; i < slices.length; i += 2) {
    copy.set(new Uint8Array(held, slices[i], slices[i + 1]), at);
    copied.push(at, slices[i + 1]);
    at += slices[i + 1];
  }
  held = copy.buffer;
  slices = copied;
  handOver();
};
(async () => {
  try {
    for await (const chunk of gunzip) {
      takeChunk(chunk);
      if (unacknowledged >= windowBytes) await new Promise((resolve) => (resumeOutput = resolve));
    }
    handOverCopy();
    parentPort.postMessage({ type: 'end' });
  } catch (error) {
    handOverCopy();
    fail(error);
  }
})();
if (fd !== undefined) {
  const free = [];
  for (let i = slots - 1; i >= 0; i--) free.push(i);
  let position = 0;
  let done = false;
  const readMore = () => {
    while (!done && free.length > 0) {
      const slot = free.pop();
      const at = slot * slotBytes;
      let bytes;
      try {
        bytes = readSync(fd, input, at, slotBytes, position);
      } catch (error) {
        done = true;
        fail(error);
        return;
      }
      if (bytes === 0) {
        done = true;
        gunzip.end();
        return;
      }
      position += bytes;
      parentPort.postMessage({ type: 'read', bytes });
      gunzip.write(input.subarray(at, at + bytes), () => {
        free.push(slot);
        readMore();
      });
    }
  };
  readMore();
}
parentPort.on('message', (message) => {
  if (message.type === 'input') {
    const at = message.slot * slotBytes;
    gunzip.write(input.subarray(at, at + message.length), () => parentPort.postMessage({ type: 'consumed', slot: message.slot }));
  } else if (message.type === 'taken') {
    unacknowledged -= message.bytes;
    if (unacknowledged < windowBytes && resumeOutput !== undefined) {
      const resume = resumeOutput;
      resumeOutput = undefined;
      resume();
    }
  } else if (message.type === 'end') {
    gunzip.end();
  }
});
`;

type WorkerMessage =
  | { type: 'data'; buffer: ArrayBuffer; slices: number[]; consumed: number }
  | { type: 'consumed'; slot: number }
  | { type: 'read'; bytes: number }
  | { type: 'end' }
  | { type: 'error'; message: string; code?: string; errno?: number; syscall?: string };

/** Where the worker's compressed bytes come from: a stream this thread copies in, or a file it reads itself. */
export type WorkerGunzipInput = { stream: Readable } | { fd: number };

/**
 * {@link checkedGunzip}'s contract on a worker thread: the same chunks in order, the same ratio
 * limit, the same errors (zlib's, rebuilt here with their `code`). A file descriptor stays the
 * caller's: it is only read, and only until the iteration ends (the worker has stopped by then).
 *
 * @example
 * ```ts
 * const { chunks } = workerGunzip({ stream: createReadStream('model.tar.gz') }, 1000);
 * ```
 */
export function workerGunzip(input: WorkerGunzipInput, maxRatio: number): CheckedGunzip {
  const shared = 'stream' in input ? new SharedArrayBuffer(INPUT_SLOTS * INPUT_SLOT_BYTES) : undefined;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      input: shared,
      fd: 'fd' in input ? input.fd : undefined,
      slots: INPUT_SLOTS,
      slotBytes: INPUT_SLOT_BYTES,
      chunkBytes: CHUNK_BYTES,
      windowBytes: OUTPUT_WINDOW_BYTES,
    },
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
  });
  // Never what keeps a process alive: a pending next() refs it while it waits.
  worker.unref();

  const queue: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  let read = 0;
  let consumed = 0;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const fail = (error: Error) => {
    failure ??= error;
    notify();
  };

  let feeding: Promise<void> = Promise.resolve();
  let slotFreed: (() => void) | undefined;
  const freeSlots = Array.from({ length: INPUT_SLOTS }, (_, i) => INPUT_SLOTS - 1 - i);
  if ('stream' in input) {
    const view = new Uint8Array(shared!);
    // Copies `chunk` into free slots (the caller's buffer stays the caller's); what does not
    // fit waits for the worker to consume a slot.
    const send = (chunk: Buffer, offset: number, callback: () => void): void => {
      while (offset < chunk.length) {
        const slot = freeSlots.pop();
        if (slot === undefined) {
          slotFreed = () => send(chunk, offset, callback);
          return;
        }
        const length = Math.min(INPUT_SLOT_BYTES, chunk.length - offset);
        view.set(chunk.subarray(offset, offset + length), slot * INPUT_SLOT_BYTES);
        worker.postMessage({ type: 'input', slot, length });
        offset += length;
        read += length;
      }
      callback();
    };
    const toWorker = new Writable({
      write: (chunk: Buffer, _encoding, callback) => send(chunk, 0, callback),
      final(callback) {
        worker.postMessage({ type: 'end' });
        callback();
      },
    });
    // Tiny chunks are gathered while the worker is busy: zlib's cost is per write.
    const coalescer = new ChunkCoalescer({ targetBytes: () => INPUT_SLOT_BYTES, nextStageIdle: () => freeSlots.length === INPUT_SLOTS });
    feeding = pipeline(input.stream, coalescer, toWorker).catch(fail);
  }

  worker.on('message', (message: WorkerMessage) => {
    switch (message.type) {
      case 'data':
        consumed = message.consumed;
        for (let i = 0; i < message.slices.length; i += 2) queue.push(Buffer.from(message.buffer, message.slices[i], message.slices[i + 1]));
        break;
      case 'read':
        read += message.bytes;
        return;
      case 'consumed': {
        freeSlots.push(message.slot);
        const resume = slotFreed;
        slotFreed = undefined;
        resume?.();
        return;
      }
      case 'end':
        ended = true;
        break;
      case 'error':
        failure ??= Object.assign(new Error(message.message), { code: message.code, errno: message.errno, syscall: message.syscall });
        break;
    }
    notify();
  });
  worker.on('error', fail);
  worker.on('exit', () => {
    if (!ended) fail(new Error('the gunzip worker thread stopped before the end of its input'));
  });

  let produced = 0;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if ('stream' in input) input.stream.destroy();
      await worker.terminate();
      await feeding;
    })());
  const chunks: AsyncIterator<Buffer> = {
    async next() {
      for (;;) {
        const chunk = queue.shift();
        if (chunk !== undefined) {
          worker.postMessage({ type: 'taken', bytes: chunk.length });
          produced += chunk.length;
          assertRatio(produced, consumed, maxRatio);
          return { done: false, value: chunk };
        }
        if (failure) throw failure;
        if (ended) {
          await stop();
          return { done: true, value: undefined };
        }
        worker.ref();
        await new Promise<void>((resolve) => (wake = resolve));
        worker.unref();
      }
    },
    async return() {
      await stop();
      return { done: true, value: undefined };
    },
  };
  return { chunks, compressedBytes: () => read, destroy: stop };
}
