// Summary statistics of a set of latencies, for the evidence tables.

/** min, median, p95, max and mean of a sample, in milliseconds, rounded to 0.1 ms. */
export interface LatencySummary {
  /** Number of values. */
  count: number;
  /** Smallest. */
  min: number;
  /** Median. */
  median: number;
  /** 95th percentile (nearest rank). */
  p95: number;
  /** Largest. */
  max: number;
  /** Arithmetic mean. */
  mean: number;
}

const round = (value: number) => Math.round(value * 10) / 10;

/** Summarises `values` (must not be empty). */
export function summarise(values: number[]): LatencySummary {
  if (values.length === 0) throw new Error('no values to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? (sorted[Math.floor(middle)] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return {
    count: sorted.length,
    min: round(sorted[0] ?? 0),
    median: round(median),
    p95: round(rank(0.95)),
    max: round(sorted[sorted.length - 1] ?? 0),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}
