// Reads an entry's source in the pieces the zip writer wants: exact segments for deflate (so the
// cut points depend on the content only), or the source's own chunks for stored data (no copy).
/** What a segment reader reads: a Readable, or any async iterable of bytes. */
export type ByteSource = AsyncIterable<Uint8Array | string>;

/** What {@link SegmentReader.segment} returns. */
export interface Segment {
  /** The bytes: exactly the size asked for, or fewer (possibly none) when `final`. */
  data: Buffer;
  /** True when the source ended with this segment. */
  final: boolean;
}

/**
 * Pulls from a source with its async iterator: nothing is read before it is asked for, so the
 * source's own backpressure holds, and a chunk is read from the source exactly once.
 *
 * @example
 * ```ts
 * const reader = new SegmentReader(body);
 * const first = await reader.segment(1024 * 1024);
 * if (!first.final) for await (const chunk of reader.chunks()) out.write(chunk);
 * ```
 */
export class SegmentReader {
  readonly #iterator: AsyncIterator<Uint8Array | string>;
  #carry: Buffer | undefined;
  #ended = false;
  /** Bytes handed out so far. */
  bytesRead = 0;

  constructor(source: ByteSource) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /** The next `size` bytes, or what is left when the source ends first. */
  async segment(size: number): Promise<Segment> {
    const parts: Buffer[] = [];
    let length = 0;
    while (length < size) {
      const chunk = await this.#next();
      if (chunk === undefined) break;
      const wanted = size - length;
      if (chunk.length > wanted) {
        parts.push(chunk.subarray(0, wanted));
        this.#carry = chunk.subarray(wanted);
        length = size;
        break;
      }
      parts.push(chunk);
      length += chunk.length;
    }
    // A segment never pins a larger buffer it was sliced from: it may wait in the output queue.
    const data = parts.length === 1 && parts[0]!.buffer.byteLength <= 2 * length ? parts[0]! : Buffer.concat(parts, length);
    this.bytesRead += length;
    return { data, final: length < size ? true : await this.#atEnd() };
  }

  /** The rest of the source, chunk by chunk as it arrives. */
  async *chunks(): AsyncGenerator<Buffer, void, undefined> {
    for (let chunk = await this.#next(); chunk !== undefined; chunk = await this.#next()) {
      this.bytesRead += chunk.length;
      yield chunk;
    }
  }

  /** Stops reading; the source is released. */
  async close(): Promise<void> {
    if (!this.#ended) await this.#iterator.return?.();
    this.#ended = true;
  }

  async #next(): Promise<Buffer | undefined> {
    if (this.#carry !== undefined) {
      const carry = this.#carry;
      this.#carry = undefined;
      return carry;
    }
    if (this.#ended) return undefined;
    const { value, done } = await this.#iterator.next();
    if (done) {
      this.#ended = true;
      return undefined;
    }
    if (typeof value === 'string') return Buffer.from(value);
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }

  /** Whether the source has ended, without losing a chunk if it has not (at most one read ahead). */
  async #atEnd(): Promise<boolean> {
    if (this.#carry !== undefined) return false;
    if (this.#ended) return true;
    const chunk = await this.#next();
    if (chunk === undefined) return true;
    this.#carry = chunk;
    return false;
  }
}
