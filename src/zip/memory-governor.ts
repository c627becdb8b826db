// Seed property 8 / requirement 3.5: watch memory while compressing and, above a soft limit,
// stop taking new input until the output has drained. What bounds memory is backpressure (every
// stage holds at most its high-water mark); this is a second line for when something upstream
// buffers more than it should. Calling gc() only helps when the process runs with --expose-gc,
// and only returns garbage: it cannot free what is still referenced.

import type { Readable } from 'node:stream';

const SAMPLE_EVERY_MS = 50;
const WATCH_EVERY_MS = 100;

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
   * Watches memory while an entry streams: every 100 ms, above the soft limit, pauses the
   * current source until the output has drained, then collects garbage if `gc` is exposed and
   * resumes it. Returns a function that stops the watch.
   */
  watch(currentSource: () => Readable | undefined, drained: () => Promise<void>): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      // Sampled on every tick, so the peak covers the whole run, not just entry boundaries.
      const rss = this.sample();
      const source = currentSource();
      if (source === undefined || source.destroyed || rss <= this.softLimitBytes) return;
      busy = true;
      this.#pauses++;
      source.pause();
      void drained().then(() => {
        collectGarbage();
        this.#sampledAt = -Infinity;
        this.sample();
        // The pipe resumes it too once its destination drains; resuming twice is harmless.
        if (!source.destroyed) source.resume();
        busy = false;
      });
    }, WATCH_EVERY_MS).unref();
    return () => clearInterval(timer);
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
