import type { FileHandle } from 'node:fs/promises';

/**
 * Pull-based access to an archive's bytes, in order. The tar reader asks for exactly the
 * bytes it needs, so backpressure comes from the structure: nothing is read ahead of the
 * consumer except the current chunk.
 */
export interface ByteReader {
  /** Bytes consumed so far (position in the uncompressed tar stream). */
  readonly position: number;
  /** Up to `max` bytes (at least 1), or `null` at the end of input. */
  readUpTo(max: number): Promise<Buffer | null>;
  /** Exactly `length` bytes; fewer only at the end of input (the caller decides if that is corrupt). */
  readExactly(length: number): Promise<Buffer>;
  /** Moves past `length` bytes; returns how many were really there. */
  skip(length: number): Promise<number>;
  /**
   * Reads what follows the archive's end marker to the end of input, so a stream's own checks
   * run (a gzip trailer's CRC-32 and length): a tar.gz cut inside its trailer is corrupt, not
   * complete. A local file has no such layer and reads nothing.
   */
  finish(): Promise<void>;
  /** Releases the input (stops the stream, closes the file). Safe to call twice. */
  close(): Promise<void>;
}

/** A {@link ByteReader} over chunks from a stream (a file stream, a gunzip, an HTTP body). */
export class ChunkByteReader implements ByteReader {
  position = 0;
  private pending: Buffer | undefined;
  private ended = false;

  constructor(
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  async readUpTo(max: number): Promise<Buffer | null> {
    if (max <= 0) return Buffer.alloc(0);
    let chunk = this.pending;
    this.pending = undefined;
    while (chunk === undefined || chunk.length === 0) {
      if (this.ended) return null;
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        return null;
      }
      chunk = next.value;
    }
    if (chunk.length > max) {
      this.pending = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    }
    this.position += chunk.length;
    return chunk;
  }

  async readExactly(length: number): Promise<Buffer> {
    const first = await this.readUpTo(length);
    if (first === null) return Buffer.alloc(0);
    if (first.length === length) return first;
    const parts = [first];
    let have = first.length;
    while (have < length) {
      const more = await this.readUpTo(length - have);
      if (more === null) break;
      parts.push(more);
      have += more.length;
    }
    return Buffer.concat(parts, have);
  }

  async skip(length: number): Promise<number> {
    let skipped = 0;
    while (skipped < length) {
      const chunk = await this.readUpTo(length - skipped);
      if (chunk === null) break;
      skipped += chunk.length;
    }
    return skipped;
  }

  async finish(): Promise<void> {
    while ((await this.readUpTo(1024 * 1024)) !== null);
  }

  async close(): Promise<void> {
    this.ended = true;
    this.pending = undefined;
    try {
      await this.chunks.return?.();
    } finally {
      await this.onClose();
    }
  }
}

/**
 * A {@link ByteReader} over a local file with positional reads: `skip` moves the position
 * without reading, so walking a plain tar's headers touches 512 bytes per entry.
 */
export class FileByteReader implements ByteReader {
  position = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
    private readonly closeHandle = true,
  ) {}

  async readUpTo(max: number): Promise<Buffer | null> {
    const length = Math.min(max, this.size - this.position, 1024 * 1024);
    if (length <= 0) return max <= 0 ? Buffer.alloc(0) : null;
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, this.position);
    if (bytesRead === 0) return null;
    this.position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }

  async readExactly(length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < length) {
      const more = await this.readUpTo(length - have);
      if (more === null) break;
      parts.push(more);
      have += more.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, have);
  }

  async skip(length: number): Promise<number> {
    const skipped = Math.max(0, Math.min(length, this.size - this.position));
    this.position += skipped;
    return skipped;
  }

  async finish(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closeHandle) await this.handle.close().catch(() => undefined);
  }
}
