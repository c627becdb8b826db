// yauzl reads a zip in many small ranges (46 bytes of each central record, then its name) and
// one 64 KiB range at the end to find the end record. Over S3 each range is a GET, so we
// (1) serve small reads from a read-ahead block, and (2) look for the end record in the last
// 4 KiB first, fetching the full 64 KiB only when a long comment hides it.
import { PassThrough, Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { RandomAccessSource } from '../types.js';

const READ_AHEAD = 16 * 1024;
const BLOCKS_KEPT = 4;
const TAIL_PROBE = 4 * 1024;
/** yauzl's end-record search: zip64 locator (20) + end record (22) + the longest comment (65,535). */
const EOCD_SEARCH = 20 + 22 + 0xffff;
const EOCD_SIGNATURE = 0x06054b50;

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function fromPromise(load: () => Promise<Buffer>): Readable {
  const out = new PassThrough();
  load().then(
    (buffer) => out.end(buffer),
    (error: unknown) => out.destroy(error as Error),
  );
  return out;
}

/** A yauzl RandomAccessReader over a {@link RandomAccessSource}, frugal with requests. */
export class RangedReader extends yauzl.RandomAccessReader {
  private readonly blocks: Array<{ start: number; data: Buffer }> = [];

  constructor(private readonly source: RandomAccessSource) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const size = this.source.size;
    if (end === size && end - start === Math.min(EOCD_SEARCH, size) && end - start > TAIL_PROBE) {
      return fromPromise(() => this.endRecordSearch(start, end));
    }
    if (end - start <= READ_AHEAD) return fromPromise(() => this.cachedRange(start, end));
    return this.source.createReadStream(start, end);
  }

  /** Bytes `[start, end)` (fewer at the end of the source): small ranges from the read-ahead blocks. */
  async readRange(start: number, end: number): Promise<Buffer> {
    const clamped = Math.min(end, this.source.size);
    if (clamped <= start) return Buffer.alloc(0);
    return clamped - start <= READ_AHEAD ? this.cachedRange(start, clamped) : collect(this.source.createReadStream(start, clamped));
  }

  private async endRecordSearch(start: number, end: number): Promise<Buffer> {
    const tail = await collect(this.source.createReadStream(end - TAIL_PROBE, end));
    // yauzl takes the last signature it finds scanning backwards; if that lies in our tail with
    // room for a zip64 locator before it, zeros in front change nothing.
    for (let i = tail.length - 22; i >= 20; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) return Buffer.concat([Buffer.alloc(end - start - tail.length), tail]);
    }
    return collect(this.source.createReadStream(start, end));
  }

  private async cachedRange(start: number, end: number): Promise<Buffer> {
    for (const block of this.blocks) {
      if (start >= block.start && end <= block.start + block.data.length) {
        return block.data.subarray(start - block.start, end - block.start);
      }
    }
    const blockEnd = Math.min(this.source.size, Math.max(end, start + READ_AHEAD));
    const data = await collect(this.source.createReadStream(start, blockEnd));
    this.blocks.push({ start, data });
    if (this.blocks.length > BLOCKS_KEPT) this.blocks.shift();
    return data.subarray(0, end - start);
  }
}
