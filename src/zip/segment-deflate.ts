// How an entry is deflated: cut at fixed offsets of its content into segments, each compressed
// on its own with the previous segment's last 32 KiB as dictionary (as pigz does). A segment that
// is not the last ends with a sync flush (byte-aligned, no final bit), so the segments joined are
// one valid DEFLATE stream. Because the cut points depend only on the content, the bytes are the
// same wherever and in whatever order the segments are compressed: on this thread, or on several
// worker threads at once (see deflate-pool.ts). The cost against one continuous stream is a few
// bytes a segment (docs/performance.md).
import { constants, deflateRawSync } from 'node:zlib';

/** Content bytes per segment. Entries up to this size are one segment, compressed in one call. */
export const SEGMENT_BYTES = 1024 * 1024;
/** The window of DEFLATE: what a segment may refer back to in the one before. */
export const DICTIONARY_BYTES = 32 * 1024;

/** One segment to compress. */
export interface DeflateJob {
  /** The segment's content. */
  data: Buffer;
  /** The last bytes of the previous segment, or `undefined` for the first. */
  dictionary: Buffer | undefined;
  /** True for the entry's last segment: it ends the DEFLATE stream. */
  final: boolean;
  /** zlib level, 1 to 9. */
  level: number;
}

/** Something that compresses segments: on this thread, or on a pool of workers. */
export interface SegmentDeflater {
  /** The raw DEFLATE bytes of `job`. */
  deflate(job: DeflateJob): Buffer | Promise<Buffer>;
  /** How many segments may be in flight at once to keep it busy. 1 for this thread. */
  readonly parallelism: number;
}

/**
 * Compresses one segment, synchronously. The one definition of the bytes: the worker pool runs
 * this same function.
 *
 * @example
 * ```ts
 * const first = deflateSegment({ data: part1, dictionary: undefined, final: false, level: 6 });
 * const last = deflateSegment({ data: part2, dictionary: part1.subarray(-32768), final: true, level: 6 });
 * ```
 */
export function deflateSegment(job: DeflateJob): Buffer {
  return deflateRawSync(job.data, {
    level: job.level,
    windowBits: deflateWindowBits(job),
    chunkSize: deflateChunkBytes(job.data.length),
    finishFlush: job.final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    ...(job.dictionary === undefined || job.dictionary.length === 0 ? {} : { dictionary: job.dictionary }),
  });
}

/**
 * The DEFLATE window for `job`: the full 32 KiB, except for a whole small entry (one segment, no
 * dictionary), which gets the smallest window that still reaches back over all of it plus zlib's
 * 262-byte lookahead. zlib then sets up a fraction of its state, though that saves little: a
 * 1 KiB entry took 37 µs against 38 when measured again (medians of 5 rounds); most of its cost is
 * building Huffman trees, which every stream does (docs/performance.md, "Tiny entries"). Kept: it
 * costs nothing, and the bytes were the same as with the full window on 2,000 random entries.
 *
 * @example
 * ```ts
 * deflateWindowBits({ data: Buffer.alloc(1024), dictionary: undefined, final: true, level: 6 }); // 11
 * ```
 */
export function deflateWindowBits(job: DeflateJob): number {
  if (!job.final || job.dictionary !== undefined) return 15;
  return Math.min(15, Math.max(9, Math.ceil(Math.log2(job.data.length + 262))));
}

/**
 * zlib's output chunk for `inputBytes`: room for the worst case (stored blocks of incompressible
 * data, 5 bytes per 16 KiB, plus a flush), so the output is one chunk and not a list of 16 KiB
 * chunks joined by a copy. That is the difference between one buffer and forty per segment for
 * the garbage collector.
 *
 * @example
 * ```ts
 * deflateChunkBytes(1024 * 1024); // 1050624
 * ```
 */
export function deflateChunkBytes(inputBytes: number): number {
  return Math.max(1024, inputBytes + (inputBytes >>> 10) + 1024);
}

/** Compresses on the calling thread: no worker start-up, no copies; the main thread does the work. */
export const inlineDeflater: SegmentDeflater = { deflate: deflateSegment, parallelism: 1 };

/** The dictionary the segment after `segment` starts from. */
export function dictionaryAfter(segment: Buffer): Buffer {
  return segment.length <= DICTIONARY_BYTES ? segment : segment.subarray(segment.length - DICTIONARY_BYTES);
}
