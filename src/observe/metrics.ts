// CloudWatch Embedded Metric Format (EMF): one JSON object a line on stdout, which the Lambda
// log agent turns into metrics with no SDK call and no network I/O.
// Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
//
// The metric names and the `Service` dimension below are a contract with the example's CDK
// dashboard and alarms: renaming one silently empties a graph. Change them only together.

/** The namespace metrics go to unless told otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'StorageSafeArchive';

/**
 * Every metric name this library emits, with its CloudWatch unit. Dashboards and alarms
 * depend on these exact names.
 *
 * @example
 * ```ts
 * new cloudwatch.Metric({ namespace: 'StorageSafeArchive', metricName: METRIC_NAMES.storageAvailableBytes });
 * ```
 */
export const METRIC_NAMES = {
  /** Bytes an unprivileged process may still write on the monitored disk. Unit `Bytes`. */
  storageAvailableBytes: 'StorageAvailableBytes',
  /** Used / (used + available) of the monitored disk, from 0 to 1. Unit `None`. */
  storageUsedRatio: 'StorageUsedRatio',
  /** Bytes a cleanup removed. Unit `Bytes`. */
  storageBytesFreed: 'StorageBytesFreed',
  /** Cleanups run (one per cleanup call, whatever it removed). Unit `Count`. */
  cleanupsPerformed: 'CleanupsPerformed',
  /** Paths or cleanup functions that could not be removed or failed. Unit `Count`. */
  cleanupFailures: 'CleanupFailures',
  /** How long a named operation took; has an extra `Operation` dimension. Unit `Milliseconds`. */
  operationDuration: 'OperationDuration',
} as const;

/** A CloudWatch unit this library uses. */
export type MetricUnit = 'Bytes' | 'Count' | 'Milliseconds' | 'None';

/** One metric value to put on an EMF line. */
export interface MetricDatum {
  /** The metric name, e.g. {@link METRIC_NAMES}.storageAvailableBytes. */
  name: string;
  /** The CloudWatch unit. */
  unit: MetricUnit;
  /** The value. */
  value: number;
}

/** The storage figures {@link MetricsEmitter.storage} reads (a `StorageMetrics` fits). */
export interface StorageFigures {
  /** Bytes that may still be written. */
  availableSpace: number;
  /** Bytes in use. */
  usedSpace: number;
}

/** What one cleanup did, for {@link MetricsEmitter.cleanup}. */
export interface CleanupFigures {
  /** Bytes removed. */
  bytesFreed: number;
  /** Files removed (informational; not a metric of its own). */
  filesRemoved?: number;
  /** Paths or functions that failed; 0 when all went well. */
  failures?: number;
}

/** Options of {@link MetricsEmitter}. */
export interface MetricsEmitterOptions {
  /** CloudWatch namespace. Default `'StorageSafeArchive'`. */
  namespace?: string;
  /**
   * Value of the `Service` dimension. Default: `POWERTOOLS_SERVICE_NAME`, else
   * `AWS_LAMBDA_FUNCTION_NAME`, else `'storage-safe-archive'`.
   */
  service?: string;
  /**
   * Extra dimensions added to every metric. Each one splits the metrics: an alarm that
   * names only `Service` will not see metrics that also carry another dimension.
   */
  dimensions?: Record<string, string>;
  /** Where lines go. Default: `process.stdout.write`. Each call receives one line ending in `\n`. */
  write?: (line: string) => void;
  /** Clock for the `Timestamp` field, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * Writes storage figures as CloudWatch Embedded Metric Format lines, so a Lambda gets
 * metrics and alarms with no SDK call.
 *
 * @example
 * ```ts
 * const metrics = new MetricsEmitter({ service: 'packaging' });
 * metrics.storage(await storage.getMetrics());
 * // {"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":"StorageSafeArchive","Dimensions":[["Service"]],
 * //   "Metrics":[{"Name":"StorageAvailableBytes","Unit":"Bytes"},…]}]},"Service":"packaging","StorageAvailableBytes":…}
 * ```
 */
export class MetricsEmitter {
  /** The CloudWatch namespace lines are written to. */
  readonly namespace: string;
  readonly #dimensions: Record<string, string>;
  readonly #write: (line: string) => void;
  readonly #now: () => number;

  constructor(options: MetricsEmitterOptions = {}) {
    this.namespace = options.namespace ?? DEFAULT_METRICS_NAMESPACE;
    const service =
      options.service ??
      process.env.POWERTOOLS_SERVICE_NAME ??
      process.env.AWS_LAMBDA_FUNCTION_NAME ??
      'storage-safe-archive';
    this.#dimensions = { Service: service, ...options.dimensions };
    this.#write = options.write ?? ((line) => process.stdout.write(line));
    this.#now = options.now ?? Date.now;
  }

  /** Emits `StorageAvailableBytes` and `StorageUsedRatio` (used / (used + available)). */
  storage(figures: StorageFigures): void {
    const usable = figures.usedSpace + figures.availableSpace;
    this.emit([
      { name: METRIC_NAMES.storageAvailableBytes, unit: 'Bytes', value: figures.availableSpace },
      { name: METRIC_NAMES.storageUsedRatio, unit: 'None', value: usable > 0 ? figures.usedSpace / usable : 0 },
    ]);
  }

  /** Emits `StorageBytesFreed`, `CleanupsPerformed` (1) and `CleanupFailures`. */
  cleanup(figures: CleanupFigures): void {
    this.emit([
      { name: METRIC_NAMES.storageBytesFreed, unit: 'Bytes', value: figures.bytesFreed },
      { name: METRIC_NAMES.cleanupsPerformed, unit: 'Count', value: 1 },
      { name: METRIC_NAMES.cleanupFailures, unit: 'Count', value: figures.failures ?? 0 },
    ]);
  }

  /** Emits `OperationDuration` in milliseconds with an extra `Operation` dimension set to `operation`. */
  duration(operation: string, ms: number): void {
    this.emit([{ name: METRIC_NAMES.operationDuration, unit: 'Milliseconds', value: ms }], { Operation: operation });
  }

  /**
   * Runs `fn` and emits its `OperationDuration` under `operation`, whether it succeeds or throws.
   *
   * @example
   * ```ts
   * const result = await metrics.time('repackage', () => repackage({ source, output }));
   * ```
   */
  async time<T>(operation: string, fn: () => T | Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.duration(operation, performance.now() - started);
    }
  }

  /**
   * Writes one EMF line with `metrics` under this emitter's dimensions plus `extraDimensions`.
   * Non-finite values are dropped (CloudWatch rejects them); nothing is written if none is left.
   */
  emit(metrics: readonly MetricDatum[], extraDimensions: Record<string, string> = {}): void {
    const finite = metrics.filter((m) => Number.isFinite(m.value));
    if (finite.length === 0) return;
    const dimensions = { ...this.#dimensions, ...extraDimensions };
    const line = {
      _aws: {
        Timestamp: Math.round(this.#now()),
        CloudWatchMetrics: [
          {
            Namespace: this.namespace,
            // One dimension set holding every dimension: the metric is keyed by all of them.
            Dimensions: [Object.keys(dimensions)],
            Metrics: finite.map((m) => ({ Name: m.name, Unit: m.unit })),
          },
        ],
      },
      ...dimensions,
      ...Object.fromEntries(finite.map((m) => [m.name, m.value])),
    };
    this.#write(JSON.stringify(line) + '\n');
  }
}
