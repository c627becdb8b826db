import { InsufficientStorageError } from '../../errors/index.js';
import { readDiskSpace } from '../../storage/disk-space.js';
import { MiB } from '../../units.js';
import type { ExtractorStorage } from './storage-like.js';

/** Entries this large or larger are checked against free space before they are written (a statfs is cheap). */
export const ENTRY_CHECK_MIN_BYTES = 64 * 1024;

/** How often free space is re-read while writing. */
export const SPACE_CHECK_INTERVAL_BYTES = 8 * MiB;

/**
 * Keeps an extraction inside the disk's free space: once before writing (the estimate), and
 * again every {@link SPACE_CHECK_INTERVAL_BYTES} written, against what is still to come.
 */
export class SpaceGuard {
  private sinceCheck = 0;
  /** Bytes written so far. */
  written = 0;

  constructor(
    private readonly storage: ExtractorStorage,
    private readonly path: string,
    private readonly operation: string,
    /** Total bytes expected, when known (exact or estimated). */
    private expectedTotal: number | undefined,
  ) {}

  /** Fails fast when the whole estimate does not fit. */
  async checkBefore(requiredBytes: number): Promise<void> {
    await this.storage.ensureSpace(requiredBytes, { operation: this.operation });
  }

  /** Before an entry of some size (64 KiB or more): at least its size must be free. */
  async checkEntry(size: number): Promise<void> {
    if (size < ENTRY_CHECK_MIN_BYTES) return;
    await this.requireFree(Math.max(size, this.remaining()));
  }

  /** Counts written bytes; every interval, re-reads free space against what remains. */
  async onWritten(bytes: number, entryRemaining: number): Promise<void> {
    this.written += bytes;
    this.sinceCheck += bytes;
    if (this.sinceCheck < SPACE_CHECK_INTERVAL_BYTES) return;
    this.sinceCheck = 0;
    await this.requireFree(Math.max(entryRemaining, this.remaining()));
  }

  private remaining(): number {
    return this.expectedTotal === undefined ? 0 : Math.max(0, this.expectedTotal - this.written);
  }

  private async requireFree(bytes: number): Promise<void> {
    if (bytes <= 0) return;
    const available = await this.storage.getAvailableSpace();
    if (available >= bytes) return;
    let totalBytes: number | undefined;
    try {
      totalBytes = (await readDiskSpace(this.path)).totalBytes;
    } catch {
      totalBytes = undefined;
    }
    throw new InsufficientStorageError({
      requiredBytes: bytes,
      availableBytes: available,
      path: this.path,
      operation: this.operation,
      ...(totalBytes === undefined ? {} : { totalBytes }),
      details: { writtenBytes: this.written },
    });
  }
}
