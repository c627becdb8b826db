// `auto` compression: deflate a sample from the start of each entry and store the entry when
// deflate saves too little. Float32 weights barely compress (the low mantissa bits are noise)
// and deflating them costs most of a repackage's time; text and JSON compress well.
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw);
// Below this, a synchronous deflate (tens of microseconds) is cheaper than a round trip to the
// thread pool, which is busy inflating the source; thousands of small files add up.
const SYNC_TRIAL_BYTES = 16 * 1024;
const NO_TRIAL_BELOW_BYTES = 8 * 1024;

/** How entries are compressed: `'auto'` decides per entry from a sample; `'deflate'` and `'store'` always. */
export type ZipCompression = 'auto' | 'deflate' | 'store';

/** Tuning of `'auto'` compression. */
export interface AutoCompressionOptions {
  /** Bytes from the start of an entry that are test-deflated. Default 64 KiB. */
  sampleBytes?: number;
  /** Deflate is used when it saves at least this fraction of the sample. Default 0.1. */
  minSavings?: number;
}

/** The first bytes of a stream, read without losing them. */
export interface PeekedStart {
  /** The bytes read (at most `sampleBytes`, more only if one chunk was larger). */
  head: Buffer;
  /** True when the stream ended within the sample: `head` is the whole content. */
  complete: boolean;
  /** The stream with `head` put back in front, or `undefined` when `complete`. */
  rest: Readable | undefined;
}

/**
 * Reads about `sampleBytes` from the start of `source` and puts them back (`unshift`), so the
 * sample is read from the source once. Streams that are not Node Readables get a small wrapper.
 */
export async function peekStart(source: Readable, sampleBytes: number): Promise<PeekedStart> {
  // Already over ('end' was emitted, so waiting for it would wait forever): an empty entry.
  if (source.readableEnded) return { head: Buffer.alloc(0), complete: true, rest: undefined };
  const chunks: Buffer[] = [];
  let length = 0;
  const ended = await new Promise<boolean>((resolve, reject) => {
    const cleanup = () => {
      source.off('readable', onReadable);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const onEnd = () => {
      cleanup();
      resolve(true);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(source.errored ?? new Error('the source closed before it ended'));
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (length < sampleBytes && (chunk = source.read() as Buffer | null) !== null) {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        length += chunk.length;
      }
      if (length >= sampleBytes) {
        // Synchronously, in the same tick as the last read(), so 'end' cannot have been emitted.
        cleanup();
        resolve(false);
      }
    };
    source.on('readable', onReadable);
    source.once('end', onEnd);
    source.once('error', onError);
    source.once('close', onClose);
  });
  const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  if (ended) return { head, complete: true, rest: undefined };
  if (source instanceof Readable && !source.readableEnded) {
    source.unshift(head);
    return { head, complete: false, rest: source };
  }
  return { head, complete: false, rest: prepend(head, source) };
}

function prepend(head: Buffer, source: Readable): Readable {
  async function* joined() {
    yield head;
    yield* source;
  }
  return Readable.from(joined(), { objectMode: false });
}

/**
 * True when deflating `sample` at `level` saves at least `minSavings` of its size.
 * Empty samples store (nothing to save); samples under 8 KiB deflate without a trial.
 */
export async function deflateWorthIt(sample: Buffer, level: number, minSavings: number): Promise<boolean> {
  if (sample.length === 0) return false;
  // A trial costs a zlib stream set-up (about 300 KiB of state) as much as the deflate itself,
  // and yazl deflates again; for small entries the answer barely matters, so skip the trial.
  if (sample.length < NO_TRIAL_BELOW_BYTES) return true;
  const compressed = sample.length <= SYNC_TRIAL_BYTES ? deflateRawSync(sample, { level }) : await deflateRawAsync(sample, { level });
  return compressed.length <= sample.length * (1 - minSavings);
}
