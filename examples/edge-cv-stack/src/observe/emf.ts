// CloudWatch Embedded Metric Format: a log line that CloudWatch turns into metrics, so a handler
// publishes metrics with no API call. Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
import type { LineWriter } from './function-logger.js';

/** The namespace the dashboard reads (`METRICS_NAMESPACE`, default `EdgeCvStack`). */
export function metricsNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.METRICS_NAMESPACE ?? 'EdgeCvStack';
}

/** Units the handlers use. */
export type MetricUnit = 'Bytes' | 'Milliseconds' | 'Count';

/** One metric value. */
export interface MetricValue {
  /** The value. */
  value: number;
  /** Its unit. */
  unit: MetricUnit;
}

/**
 * Writes one EMF line with the `Service` dimension (the dimension the library's storage metrics
 * use too). `properties` are searchable in Logs Insights but are not metrics.
 */
export function emitMetrics(
  service: string,
  metrics: Record<string, MetricValue>,
  properties: Record<string, unknown> = {},
  write: LineWriter = (line) => process.stdout.write(line),
  namespace = metricsNamespace(),
): void {
  const names = Object.keys(metrics);
  if (names.length === 0) return;
  const values = Object.fromEntries(names.map((name) => [name, metrics[name]?.value]));
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['Service']], Metrics: names.map((name) => ({ Name: name, Unit: metrics[name]?.unit })) }],
    },
    Service: service,
    ...properties,
    ...values,
  };
  write(`${JSON.stringify(line)}\n`);
}
