import type { MetricsEmitter } from '../observe/metrics.js';
import type { StorageLogger } from '../observe/logger.js';
import type { StorageMetrics } from './storage-metrics.js';
import { LevelTracker, type LevelEvent, type StorageLevel, type Thresholds } from './thresholds.js';

/** A monitor callback; may be async (the monitor waits for it before the next event). */
export type MonitorCallback = (metrics: StorageMetrics) => void | Promise<void>;

/** Options of `StorageManager.monitorUsage()`. */
export interface MonitorOptions {
  /** Milliseconds between samples. Default 5000. */
  intervalMs?: number;
  /** Called once when usage rises to the warning ratio; always before `onCritical`. */
  onWarning?: MonitorCallback;
  /** Called once when usage rises to the critical ratio; the emergency cleanups run after it. */
  onCritical?: MonitorCallback;
  /** Called when usage falls back below the warning ratio. */
  onRecovered?: MonitorCallback;
  /** Called with every sample, after the level callbacks. */
  onSample?: MonitorCallback;
  /** Stops the monitor when aborted. */
  signal?: AbortSignal;
}

/** What a monitor needs from its StorageManager. */
export interface MonitorHost {
  /** Reads the disk now. */
  sample(): Promise<StorageMetrics>;
  /** Runs every registered emergency cleanup. */
  runEmergencyCleanups(): Promise<void>;
  /** The validated thresholds. */
  thresholds: Thresholds;
  /** Where failures of callbacks and samples are logged. */
  logger: StorageLogger;
  /** Where each sample is emitted as EMF, if set. */
  metrics: MetricsEmitter | undefined;
  /** Called when the monitor stops, so the host forgets it. */
  detach(monitor: Monitor): void;
}

/**
 * A running disk monitor from `StorageManager.monitorUsage()`. Samples on an interval (the
 * timer does not keep the process alive), never overlapping; stops with `stop()`, `using`,
 * `await using` or its `signal`.
 *
 * @example
 * ```ts
 * await using monitor = storage.monitorUsage({
 *   intervalMs: 1000,
 *   onWarning: (m) => logger.warn('disk filling', { usedRatio: m.usedRatio }),
 *   onCritical: (m) => logger.error('disk nearly full', { availableSpace: m.availableSpace }),
 * });
 * await repackage({ source, output });
 * ```
 */
export class Monitor implements Disposable, AsyncDisposable {
  readonly #host: MonitorHost;
  readonly #options: MonitorOptions;
  readonly #tracker: LevelTracker;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #last: StorageMetrics | undefined;
  readonly #onAbort = () => this.stop();

  /** @internal Made by `StorageManager.monitorUsage()`. */
  constructor(host: MonitorHost, options: MonitorOptions) {
    this.#host = host;
    this.#options = options;
    this.#tracker = new LevelTracker(host.thresholds);
    if (options.signal?.aborted) {
      this.#stopped = true;
      return;
    }
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#schedule(0);
  }

  /** The level after the last sample. */
  get level(): StorageLevel {
    return this.#tracker.level;
  }

  /** The last sample, if any. */
  get lastMetrics(): StorageMetrics | undefined {
    return this.#last;
  }

  /** True once stopped. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Samples now (after any sample in progress) and runs the callbacks it causes. Resolves
   * with the reading; rejects only if the disk cannot be read.
   */
  check(): Promise<StorageMetrics> {
    const run = this.#chain.then(() => this.#sampleOnce());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * @internal Records a refusal for lack of space (from `ensureSpace` or `reserve`), so a
   * warning and a critical are reported before the caller sees the failure.
   */
  reportShortage(metrics: StorageMetrics): Promise<void> {
    const run = this.#chain.then(() => this.#dispatch(this.#tracker.observeFailure(), metrics));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Stops sampling. A sample in progress finishes; no new one starts. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#host.detach(this);
  }

  /** Same as {@link Monitor.stop}, for `using`. */
  [Symbol.dispose](): void {
    this.stop();
  }

  /** Stops and waits for a sample in progress to finish, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    await this.#chain;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.check()
        .catch((error: unknown) => this.#host.logger.error('storage monitor could not read the disk', { error }))
        .finally(() => this.#schedule(this.#options.intervalMs ?? 5000));
    }, delayMs);
    this.#timer.unref();
  }

  async #sampleOnce(): Promise<StorageMetrics> {
    const metrics = await this.#host.sample();
    this.#last = metrics;
    this.#host.metrics?.storage(metrics);
    await this.#dispatch(this.#tracker.observe(metrics.usedRatio), metrics);
    await this.#call('onSample', metrics);
    return metrics;
  }

  async #dispatch(events: readonly LevelEvent[], metrics: StorageMetrics): Promise<void> {
    for (const event of events) {
      const fields = { usedRatio: metrics.usedRatio, availableBytes: metrics.availableSpace, totalBytes: metrics.totalSpace };
      if (event === 'warning') {
        this.#host.logger.warn('disk usage reached the warning threshold', fields);
        await this.#call('onWarning', metrics);
      } else if (event === 'critical') {
        this.#host.logger.error('disk usage reached the critical threshold; running emergency cleanups', fields);
        await this.#call('onCritical', metrics);
        await this.#host.runEmergencyCleanups();
        // Sample again so the level reflects what the cleanups freed (and `recovered` fires).
        const after = await this.#host.sample();
        this.#last = after;
        this.#host.metrics?.storage(after);
        await this.#dispatch(this.#tracker.observe(after.usedRatio), after);
      } else {
        this.#host.logger.info('disk usage fell below the warning threshold', fields);
        await this.#call('onRecovered', metrics);
      }
    }
  }

  async #call(name: 'onWarning' | 'onCritical' | 'onRecovered' | 'onSample', metrics: StorageMetrics): Promise<void> {
    try {
      await this.#options[name]?.(metrics);
    } catch (error) {
      // A failing callback must not stop the monitor; it is logged so it is not lost.
      this.#host.logger.error(`storage monitor ${name} callback failed`, { error });
    }
  }
}
