// The in-process reservation ledger: one per disk (keyed by `stat().dev`), shared by every
// StorageManager in the process (and by the ESM and CJS copies of this library, through a
// global symbol), so that concurrent operations never together claim more than is free.
//
// Waiters are served strictly first-in, first-out. A small request never overtakes a large one
// at the head of the queue: otherwise a stream of small jobs could starve a big one forever.
// The price is that, when space is short, concurrent work degrades to sequential, which is
// exactly what a full disk calls for.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InsufficientStorageError } from '../errors/index.js';
import { ceilGiB, formatBytes } from '../units.js';
import { readDiskSpace, type DiskSpace } from './disk-space.js';

/** How often waiters re-read the disk, in case space is freed outside the ledger. */
const POLL_MS = 100;

/** One request for space. */
export interface SpaceRequest {
  /** Bytes wanted. */
  bytes: number;
  /** Safety margin this requester keeps free (its manager's `reserveBytes`). */
  marginBytes: number;
  /** A path on the disk, for statfs and for the error. */
  path: string;
  /** Wait when short (true) or fail at once (false). */
  wait: boolean;
  /** Longest wait in ms; `Infinity` waits for ever. */
  timeoutMs: number;
  /** Cancels the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** What needs the space, for the error message. */
  operation?: string | undefined;
}

interface Waiter {
  request: SpaceRequest;
  resolve: () => void;
  reject: (error: unknown) => void;
  settle: () => void;
}

/** The ledger of one disk. */
export class DiskLedger {
  /** Bytes held by reservations that have not been released. */
  reservedBytes = 0;
  readonly #queue: Waiter[] = [];
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;
  #poll: NodeJS.Timeout | undefined;

  /** Requests waiting, oldest first. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Grants `request` when it reaches the head of the queue and fits, or rejects with
   * {@link InsufficientStorageError}: at once when it could never fit or `wait` is false,
   * otherwise when `timeoutMs` passes. The request joins the queue synchronously, so calls
   * are served in the order they were made.
   */
  acquire(request: SpaceRequest): Promise<void> {
    request.signal?.throwIfAborted();
    return this.#enqueue(request);
  }

  /** Returns `bytes` to the ledger and wakes the queue. */
  release(bytes: number): void {
    this.reservedBytes = Math.max(0, this.reservedBytes - bytes);
    this.wake();
  }

  /** Bytes that may still be claimed on `disk`: free, less reservations, less the margin. */
  claimable(disk: DiskSpace, marginBytes: number): number {
    return Math.max(0, disk.availableBytes - this.reservedBytes - marginBytes);
  }

  /** Re-reads the disk and grants what now fits, in order. Call after freeing space. */
  wake(): void {
    if (this.#queue.length === 0) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = (async () => {
      do {
        this.#pumpAgain = false;
        await this.#grantFromHead();
      } while (this.#pumpAgain);
    })().finally(() => {
      this.#pumping = undefined;
    });
  }

  #enqueue(request: SpaceRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (!this.#remove(waiter)) return;
        reject(request.signal?.reason);
        this.wake();
      };
      const waiter: Waiter = {
        request,
        resolve,
        reject,
        settle: () => {
          if (timer) clearTimeout(timer);
          request.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (Number.isFinite(request.timeoutMs)) {
        timer = setTimeout(() => {
          if (!this.#remove(waiter)) return;
          readDiskSpace(request.path).then(
            (disk) => reject(this.#shortage(request, disk, `still short after waiting ${request.timeoutMs} ms`)),
            reject,
          );
          this.wake();
        }, request.timeoutMs);
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
      this.#poll ??= setInterval(() => this.wake(), POLL_MS);
      this.wake();
    });
  }

  #remove(waiter: Waiter): boolean {
    const index = this.#queue.indexOf(waiter);
    if (index < 0) return false;
    this.#queue.splice(index, 1);
    waiter.settle();
    this.#stopPollingIfIdle();
    return true;
  }

  async #grantFromHead(): Promise<void> {
    const head = this.#queue[0];
    if (!head) return;
    let disk: DiskSpace;
    try {
      disk = await readDiskSpace(head.request.path);
    } catch (error) {
      if (!this.#remove(head)) return;
      head.reject(error); // The disk cannot be read: waiting will not help.
      this.#pumpAgain = true;
      return;
    }
    // Not even an empty disk could hold these: waiting would only delay the same answer.
    for (const waiter of [...this.#queue]) {
      const { bytes, marginBytes } = waiter.request;
      if (bytes <= disk.usedBytes + disk.availableBytes - marginBytes) continue;
      this.#remove(waiter);
      waiter.reject(this.#shortage(waiter.request, disk, 'more than this disk can ever hold'));
    }
    for (let first = this.#queue[0]; first; first = this.#queue[0]) {
      const { bytes, marginBytes, wait } = first.request;
      if (bytes > this.claimable(disk, marginBytes)) {
        if (wait) break;
        this.#remove(first);
        first.reject(this.#shortage(first.request, disk));
        continue;
      }
      this.#queue.shift();
      first.settle();
      this.reservedBytes += bytes;
      first.resolve();
    }
    // A request that may not wait fails at once when others are ahead of it (no overtaking).
    for (const waiter of this.#queue.slice(1)) {
      if (waiter.request.wait) continue;
      this.#remove(waiter);
      waiter.reject(this.#shortage(waiter.request, disk, 'others are waiting ahead of it'));
    }
    this.#stopPollingIfIdle();
  }

  #stopPollingIfIdle(): void {
    if (this.#queue.length > 0 || this.#poll === undefined) return;
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  #shortage(request: SpaceRequest, disk: DiskSpace, why?: string): InsufficientStorageError {
    const availableBytes = this.claimable(disk, request.marginBytes);
    const wanted = disk.totalBytes - disk.availableBytes + request.bytes + request.marginBytes;
    const queued = this.#queue.reduce((sum, w) => sum + w.request.bytes, 0);
    return new InsufficientStorageError({
      requiredBytes: request.bytes,
      availableBytes,
      path: request.path,
      totalBytes: disk.totalBytes,
      operation: `${request.operation ?? `reserving ${formatBytes(request.bytes)}`}${why ? ` (${why})` : ''}`,
      suggestion:
        `release other reservations sooner, reserve with a longer timeoutMs, ` +
        `or raise the function's ephemeral storage to at least ${ceilGiB(wanted)} GiB`,
      details: {
        diskAvailableBytes: disk.availableBytes,
        reservedBytes: this.reservedBytes,
        marginBytes: request.marginBytes,
        queuedBytes: queued,
      },
    });
  }
}

const REGISTRY_KEY = Symbol.for('storage-safe-archive.disk-ledgers.v1');

interface Registry {
  /** Ledgers by device id. */
  byDevice: Map<string, DiskLedger>;
  /** Lookups by path, so that every caller for one path awaits the same promise. */
  byPath: Map<string, Promise<DiskLedger>>;
}

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[REGISTRY_KEY] ??= { byDevice: new Map(), byPath: new Map() });
}

/** The device id of the disk holding `path`, asking its nearest existing parent if need be. */
export async function deviceOf(path: string): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    try {
      return String((await stat(current)).dev);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) throw error;
    }
  }
}

/**
 * The process-wide ledger of the disk holding `path`. Every call for one path returns the
 * same promise, so callers reach the ledger's queue in the order they called: that is what
 * makes reservations first-in, first-out across StorageManager instances.
 *
 * @example
 * ```ts
 * const ledger = await ledgerFor('/tmp');
 * ledger.reservedBytes; // bytes claimed by every StorageManager on /tmp's disk
 * ```
 */
export function ledgerFor(path: string): Promise<DiskLedger> {
  const { byDevice, byPath } = registry();
  let found = byPath.get(path);
  if (!found) {
    found = deviceOf(path).then((dev) => {
      let ledger = byDevice.get(dev);
      if (!ledger) byDevice.set(dev, (ledger = new DiskLedger()));
      return ledger;
    });
    // A failed lookup (a path on a disk that went away) is asked again next time.
    found.catch(() => byPath.delete(path));
    byPath.set(path, found);
  }
  return found;
}
