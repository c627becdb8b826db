import type { DiskLedger } from './ledger.js';

/**
 * A claim on disk space held in the process-wide ledger, from `StorageManager.reserve()`.
 * Release it when the bytes it stood for are written and accounted for by the disk, or
 * deleted; `using` does that at the end of the block. Releasing twice is harmless.
 *
 * @example
 * ```ts
 * {
 *   using reservation = await storage.reserve(512 * MiB, { operation: 'extracting model.tar.gz' });
 *   await extract(archive, dest);
 * } // released here, and the next waiter in line is woken
 * ```
 */
export class Reservation implements Disposable, AsyncDisposable {
  /** Bytes claimed. */
  readonly bytes: number;
  /** The path the reservation was made for. */
  readonly path: string;
  readonly #ledger: DiskLedger;
  #released = false;

  /** @internal Made by `StorageManager.reserve()`, never directly. */
  constructor(ledger: DiskLedger, bytes: number, path: string) {
    this.#ledger = ledger;
    this.bytes = bytes;
    this.path = path;
  }

  /** True once released. */
  get released(): boolean {
    return this.#released;
  }

  /** Returns the bytes to the ledger. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#ledger.release(this.bytes);
  }

  /** Same as {@link Reservation.release}, for `using`. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Same as {@link Reservation.release}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}
