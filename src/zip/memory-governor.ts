// Watch memory while compressing and, above a soft limit, stop taking new input until the output
// has drained (docs/repackaging.md, "Memory"). What bounds memory is backpressure and the zip
// writer's fixed window; this is a second line for when something upstream buffers more than it
// should. Calling gc() only helps when the process runs with --expose-gc,
// and only returns garbage: it cannot free what is still referenced.

const SAMPLE_EVERY_MS = 50;

/** Runs a full collection when the process was started with --expose-gc; otherwise nothing. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
}

/** Options of the memory watch. */
export interface MemoryGovernorOptions {
  /** Resident set size above which intake pauses. Default 512 MiB, or `ZIP_MEMORY_SOFT_LIMIT_BYTES`. */
  softLimitBytes?: number;
  /** Reads memory usage; injectable for tests. Default `process.memoryUsage.rss`. */
  readRss?: () => number;
}

/** Watches RSS; `admit()` waits for the output to drain when memory is above the soft limit. */
export class MemoryGovernor {
  readonly softLimitBytes: number;
  readonly #readRss: () => number;
  #peakRss = 0;
  #pauses = 0;
  #sampledAt = -Infinity;
  #lastRss = 0;

  constructor(options: MemoryGovernorOptions = {}) {
    const fromEnv = Number(process.env.ZIP_MEMORY_SOFT_LIMIT_BYTES);
    this.softLimitBytes = options.softLimitBytes ?? (fromEnv > 0 ? fromEnv : 512 * 1024 * 1024);
    this.#readRss = options.readRss ?? (() => process.memoryUsage.rss());
  }

  /** Highest RSS seen by {@link sample}. */
  get peakRssBytes(): number {
    return this.#peakRss;
  }

  /** How many times intake was paused for memory. */
  get pauses(): number {
    return this.#pauses;
  }

  /** Reads RSS (at most every 50 ms: each read parses /proc, which is slow on a busy machine) and records the peak. */
  sample(): number {
    const now = Date.now();
    if (now - this.#sampledAt < SAMPLE_EVERY_MS) return this.#lastRss;
    this.#sampledAt = now;
    const rss = (this.#lastRss = this.#readRss());
    if (rss > this.#peakRss) this.#peakRss = rss;
    return rss;
  }

  /**
   * Call before taking in more input. Above the soft limit: waits for `drained()`, then
   * collects garbage if `gc` is exposed. Returns whether it paused.
   */
  async admit(drained: () => Promise<void>): Promise<boolean> {
    if (this.sample() <= this.softLimitBytes) return false;
    this.#pauses++;
    await drained();
    collectGarbage();
    this.#sampledAt = -Infinity;
    this.sample();
    return true;
  }
}
