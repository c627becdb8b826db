// The zip's bytes leave in order while their parts are produced out of order: a deflated segment
// is a promise (it may be compressed on another thread), a header or descriptor is a function
// evaluated when its turn comes (it needs the offset, or sizes known only once the data before it
// is written). The queue holds at most `windowBytes` of pending data; producers wait for room,
// so memory is bounded by the window, never by the number or size of entries.
import type { ZipSink } from './zip-output.js';

/** Bytes built from the offset they will be written at (a header that records where it went). */
export type PlacedPiece = (offset: number) => Buffer | undefined;
/** What can be queued: bytes, bytes placed when their turn comes, or either of those to come. */
export type OutputPiece = Buffer | PlacedPiece | Promise<Buffer | PlacedPiece>;

/** Memory a queued piece costs beyond its bytes (the piece, its closure, an entry's record). */
const PIECE_OVERHEAD_BYTES = 512;
/** Pieces the queue may hold at once, whatever their size: thousands of tiny entries stay bounded too. */
const MAX_PIECES = 1024;
/** Small pieces are gathered into writes of about this size: one write per header would cost more than the header. */
const STAGING_BYTES = 256 * 1024;

interface Queued {
  piece: OutputPiece;
  weight: number;
}

/**
 * Writes queued pieces to a {@link ZipSink} in the order they were pushed, with backpressure.
 *
 * @example
 * ```ts
 * const output = new OrderedOutput(sink, 8 * MiB, fail);
 * await output.room();
 * output.push((offset) => header(offset));
 * output.push(deflateSegmentSomewhere(bytes), bytes.length);
 * await output.flushed();
 * ```
 */
export class OrderedOutput {
  readonly #sink: ZipSink;
  readonly #windowBytes: number;
  readonly #onError: (error: unknown) => void;
  readonly #queue: Queued[] = [];
  #head = 0;
  #pendingWeight = 0;
  #offset = 0;
  #running = false;
  #failed = false;
  #waiters: Array<() => void> = [];

  constructor(sink: ZipSink, windowBytes: number, onError: (error: unknown) => void) {
    this.#sink = sink;
    this.#windowBytes = windowBytes;
    this.#onError = onError;
  }

  /** Bytes written to the sink so far: the offset the next piece starts at. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes of queued pieces not yet written. */
  get pendingBytes(): number {
    return this.#pendingWeight;
  }

  /**
   * Queues a piece. `weight` is the memory it holds until written (a promise's input bytes;
   * a Buffer's own length by default).
   */
  push(piece: OutputPiece, weight = Buffer.isBuffer(piece) ? piece.length : 0): void {
    if (this.#failed) return;
    // A rejected piece must not go unhandled while it waits its turn; the writer reports it.
    if (piece instanceof Promise) piece.catch(() => undefined);
    const cost = weight + PIECE_OVERHEAD_BYTES;
    this.#queue.push({ piece, weight: cost });
    this.#pendingWeight += cost;
    if (!this.#running) void this.#run();
  }

  /** Resolves when the queue holds less than its window (at once if it does, or after a failure). */
  room(): Promise<void> {
    if (this.#hasRoom() || this.#failed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves once every piece pushed so far is written (its bytes handed to the sink). */
  async flushed(): Promise<void> {
    while ((this.#running || this.#head < this.#queue.length) && !this.#failed) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Stops writing; queued pieces are dropped. */
  stop(): void {
    this.#failed = true;
    this.#queue.length = 0;
    this.#head = 0;
    this.#wake();
  }

  #hasRoom(): boolean {
    return this.#pendingWeight < this.#windowBytes && this.#queue.length - this.#head < MAX_PIECES;
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      if (!(await this.#sink.ready())) {
        this.#failed = true;
        return;
      }
      while (this.#head < this.#queue.length && !this.#failed) {
        const { piece, weight } = this.#queue[this.#head]!;
        // Staged bytes go out before waiting on a piece still being made.
        if (piece instanceof Promise && this.#staged > 0) await this.#flushStaging();
        const ready = piece instanceof Promise ? await piece : piece;
        if (this.#failed) return;
        const bytes = typeof ready === 'function' ? ready(this.#offset) : ready;
        // Written pieces are released at once: the slot is cleared before the next await.
        this.#queue[this.#head++] = undefined as unknown as Queued;
        if (bytes !== undefined && bytes.length > 0) {
          this.#offset += bytes.length;
          if (bytes.length < STAGING_BYTES / 4) {
            if (this.#staged + bytes.length > STAGING_BYTES) await this.#flushStaging();
            this.#staged += bytes.copy(this.#staging, this.#staged);
          } else {
            if (this.#staged > 0) await this.#flushStaging();
            await this.#write(bytes);
          }
        }
        this.#pendingWeight -= weight;
        if (this.#head >= MAX_PIECES) {
          this.#queue.splice(0, this.#head);
          this.#head = 0;
        }
        // Nothing more to write for now: what is staged goes out rather than waiting.
        if (this.#head === this.#queue.length && this.#staged > 0) await this.#flushStaging();
        if (this.#hasRoom()) this.#wake();
      }
    } catch (error) {
      this.#failed = true;
      this.#onError(error);
    } finally {
      this.#running = false;
      this.#wake();
    }
  }

  readonly #staging = Buffer.allocUnsafe(STAGING_BYTES);
  #staged = 0;

  async #flushStaging(): Promise<void> {
    // The sink may keep what it is given until written: it gets an exact copy, the staging is reused.
    const bytes = Buffer.from(this.#staging.subarray(0, this.#staged));
    this.#staged = 0;
    await this.#write(bytes);
  }

  async #write(bytes: Buffer): Promise<void> {
    if (!this.#sink.write(bytes)) await this.#sink.drained();
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
