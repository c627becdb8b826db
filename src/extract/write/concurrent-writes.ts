// File writes in flight at once, at most `limit`. The first failure is kept and thrown to the
// next caller; nothing is dropped: `settle()` waits for every write, so a rollback never races one.

/**
 * A bounded set of writes. `add` returns once there is room for another; `drain` waits for all
 * and throws the first failure.
 *
 * @example
 * ```ts
 * const writes = new ConcurrentWrites(4);
 * for (const file of files) await writes.add(write(file));
 * await writes.drain();
 * ```
 */
export class ConcurrentWrites {
  readonly limit: number;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Tracks `write`; resolves when fewer than `limit` are in flight, or rejects with the first failure. */
  async add(write: Promise<void>): Promise<void> {
    const tracked: Promise<void> = write
      .then(
        () => undefined,
        (error: unknown) => {
          this.#failure ??= { error };
        },
      )
      .then(() => {
        this.#inFlight.delete(tracked);
      });
    this.#inFlight.add(tracked);
    this.#throwIfFailed();
    while (this.#inFlight.size >= this.limit) {
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
  }

  /** Waits for every write; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.#throwIfFailed();
  }

  /** Waits for every write, failed or not. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
