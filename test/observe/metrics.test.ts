import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_NAMESPACE, METRIC_NAMES, MetricsEmitter } from '../../src/observe/metrics.js';

function capture(options: ConstructorParameters<typeof MetricsEmitter>[0] = {}) {
  const lines: string[] = [];
  const emitter = new MetricsEmitter({ service: 'packaging', now: () => 1_700_000_000_000, write: (l) => lines.push(l), ...options });
  return { emitter, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

/** Checks one line against the EMF specification's required structure. */
function expectValidEmf(line: Record<string, any>) {
  expect(typeof line._aws.Timestamp).toBe('number');
  expect(Array.isArray(line._aws.CloudWatchMetrics)).toBe(true);
  for (const directive of line._aws.CloudWatchMetrics) {
    expect(typeof directive.Namespace).toBe('string');
    for (const set of directive.Dimensions) for (const dim of set) expect(typeof line[dim]).toBe('string');
    for (const metric of directive.Metrics) {
      expect(typeof metric.Name).toBe('string');
      expect(['Bytes', 'Count', 'Milliseconds', 'None']).toContain(metric.Unit);
      expect(typeof line[metric.Name]).toBe('number');
    }
  }
}

describe('MetricsEmitter', () => {
  it('writes storage figures as one valid EMF line with the contract names', () => {
    const { emitter, lines, parsed } = capture();
    emitter.storage({ availableSpace: 300, usedSpace: 700 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const [line] = parsed();
    expectValidEmf(line!);
    expect(line!._aws).toEqual({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: 'StorageSafeArchive',
          Dimensions: [['Service']],
          Metrics: [
            { Name: 'StorageAvailableBytes', Unit: 'Bytes' },
            { Name: 'StorageUsedRatio', Unit: 'None' },
          ],
        },
      ],
    });
    expect(line!.Service).toBe('packaging');
    expect(line!.StorageAvailableBytes).toBe(300);
    expect(line!.StorageUsedRatio).toBeCloseTo(0.7);
  });

  it('writes cleanup figures: bytes freed, one cleanup, failures', () => {
    const { emitter, parsed } = capture();
    emitter.cleanup({ bytesFreed: 4096, filesRemoved: 3, failures: 2 });
    const [line] = parsed();
    expectValidEmf(line!);
    expect(line!._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toEqual([
      'StorageBytesFreed',
      'CleanupsPerformed',
      'CleanupFailures',
    ]);
    expect([line!.StorageBytesFreed, line!.CleanupsPerformed, line!.CleanupFailures]).toEqual([4096, 1, 2]);
  });

  it('writes a duration with Service and Operation dimensions', () => {
    const { emitter, parsed } = capture();
    emitter.duration('repackage', 1234.5);
    const [line] = parsed();
    expectValidEmf(line!);
    expect(line!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'Operation']]);
    expect(line!._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'OperationDuration', Unit: 'Milliseconds' }]);
    expect(line!.Operation).toBe('repackage');
    expect(line!.OperationDuration).toBe(1234.5);
  });

  it('times an operation, also when it throws', async () => {
    const { emitter, parsed } = capture();
    expect(await emitter.time('ok', async () => 42)).toBe(42);
    await expect(emitter.time('bad', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const [ok, bad] = parsed();
    expect([ok!.Operation, bad!.Operation]).toEqual(['ok', 'bad']);
    expect(ok!.OperationDuration).toBeGreaterThanOrEqual(0);
    expect(typeof bad!.OperationDuration).toBe('number');
  });

  it('keeps the metric names the dashboard and alarms depend on', () => {
    expect(DEFAULT_METRICS_NAMESPACE).toBe('StorageSafeArchive');
    expect(Object.values(METRIC_NAMES).sort()).toEqual(
      ['CleanupFailures', 'CleanupsPerformed', 'OperationDuration', 'StorageAvailableBytes', 'StorageBytesFreed', 'StorageUsedRatio'],
    );
  });

  it('drops non-finite values and writes nothing when none is left', () => {
    const { emitter, lines, parsed } = capture();
    emitter.emit([{ name: 'X', unit: 'Count', value: Number.NaN }]);
    expect(lines).toHaveLength(0);
    emitter.emit([
      { name: 'X', unit: 'Count', value: Number.POSITIVE_INFINITY },
      { name: 'Y', unit: 'Count', value: 2 },
    ]);
    const [line] = parsed();
    expect(line!.X).toBeUndefined();
    expect(line!._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'Y', Unit: 'Count' }]);
  });

  it('adds extra dimensions and a custom namespace; a zero-size disk reports ratio 0', () => {
    const { emitter, parsed } = capture({ namespace: 'Custom', dimensions: { Stage: 'prod' } });
    emitter.storage({ availableSpace: 0, usedSpace: 0 });
    const [line] = parsed();
    expectValidEmf(line!);
    expect(line!._aws.CloudWatchMetrics[0].Namespace).toBe('Custom');
    expect(line!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'Stage']]);
    expect(line!.Stage).toBe('prod');
    expect(line!.StorageUsedRatio).toBe(0);
  });

  it('takes the service name from the Lambda environment when not given', () => {
    const saved = { p: process.env.POWERTOOLS_SERVICE_NAME, f: process.env.AWS_LAMBDA_FUNCTION_NAME };
    delete process.env.POWERTOOLS_SERVICE_NAME;
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'model-packaging';
    try {
      const lines: string[] = [];
      new MetricsEmitter({ write: (l) => lines.push(l) }).duration('x', 1);
      expect(JSON.parse(lines[0]!).Service).toBe('model-packaging');
    } finally {
      if (saved.p === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
      else process.env.POWERTOOLS_SERVICE_NAME = saved.p;
      if (saved.f === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = saved.f;
    }
  });
});
