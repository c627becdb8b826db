import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemoCli } from '../../src/demo/demo-cli.js';
import type { DemoSummary } from '../../src/demo/run-demo.js';
import { summarise } from '../../src/demo/timing.js';
import { startLocalStack, type LocalStack } from '../../src/local/local-stack.js';

let stack: LocalStack;
let evidenceRoot: string;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, prefix: 'demo-test', echoLogs: false });
  evidenceRoot = await mkdtemp(join(tmpdir(), 'edge-cv-evidence-'));
});
afterAll(async () => {
  await stack?.stop();
  await rm(evidenceRoot, { recursive: true, force: true });
});

describe('demo against the local endpoint', () => {
  it('ingests, predicts, verifies checksums, times cold vs warm and 10 concurrent calls, and writes the bundle', async () => {
    const { bundle, summary } = await runDemoCli(['--endpoint', stack.url, '--sample-bytes', '65536', '--warm', '3'], { evidenceRoot });
    expect(summary.passed).toBe(true);
    expect(summary.mode).toBe('local');
    expect(summary.ingest.first.status).toBe(201);
    expect(summary.ingest.repeat).toMatchObject({ status: 200, fileId: summary.ingest.first.fileId });
    expect(summary.verification.consumerSha256).toBe(summary.sample.sha256);
    expect(summary.coldWarm.cold.coldStart).toBe(true);
    expect(summary.coldWarm.cold.initMs).toBeGreaterThan(0);
    expect(summary.coldWarm.warm.map((w) => w.coldStart)).toEqual([false, false, false]);
    expect(summary.parallel).toMatchObject({ calls: 10, succeeded: 10, allSameChecksum: true });
    // The fleet: jobs through the API (when moto runs), then three targets packaged at once
    // through the state machine, each with its own SHA-256.
    expect(summary.fleet?.passed).toBe(true);
    expect(summary.fleet?.packaging.targets.map((t) => [t.target, t.status])).toEqual([['jetson_xavier', 'SUCCEEDED'], ['ml_c5', 'SUCCEEDED'], ['rasp4b', 'SUCCEEDED']]);
    expect(summary.fleet?.packaging.peakConcurrency).toBeGreaterThanOrEqual(2);
    if (summary.fleet && !('skipped' in summary.fleet.jobs)) {
      expect(summary.fleet.jobs.training.modelUri).toMatch(/\/models\/training\/demo-test-demo-unet\/output\/model\.tar\.gz$/);
      expect(summary.fleet.jobs.compilation.targets.map((t) => t.target)).toEqual(['jetson_xavier', 'ml_c5', 'rasp4b']);
    }

    expect(bundle.startsWith(evidenceRoot)).toBe(true);
    const files = await readdir(bundle);
    expect(files).toEqual(expect.arrayContaining(['summary.json', 'summary.md', 'lambda-configuration.json', 'access-point.json', 'logs-producer.jsonl', 'logs-consumer.jsonl', 'outputs-listing.json']));
    const onDisk = JSON.parse(await readFile(join(bundle, 'summary.json'), 'utf8')) as DemoSummary;
    expect(onDisk.parallel.results).toHaveLength(10);
    const markdown = await readFile(join(bundle, 'summary.md'), 'utf8');
    expect(markdown).toContain('| cold | 200 |');
    expect(markdown).toContain('## The fleet: jobs and packaging through the state machine');
    expect(markdown).toMatch(/\| ml_c5 \| SUCCEEDED \| `deployments\/demo-unet\/1\.0\.0\/ml_c5\/demo-unet-ml_c5\.zip` \| \d+ \| `[0-9a-f]{64}` \|/);
    expect(markdown).toContain('## 10 concurrent /predict on one model');
    const listing = JSON.parse(await readFile(join(bundle, 'outputs-listing.json'), 'utf8'));
    expect(listing.efs.map((o: { name: string }) => o.name)).toContain(`${summary.ingest.first.fileId}.result`);
    expect(await readFile(join(evidenceRoot, '.gitignore'), 'utf8')).toBe('*\n');
  });

  it('rejects unknown flags and bad numbers before doing anything', async () => {
    await expect(runDemoCli(['--endpoint', stack.url, '--nope'], { evidenceRoot })).rejects.toThrow(/Unknown option/);
    await expect(runDemoCli(['--endpoint', stack.url, '--warm', '0'], { evidenceRoot })).rejects.toThrow(/--warm must be a positive integer/);
  });
});

describe('summarise', () => {
  it('gives min, median, nearest-rank p95, max and mean', () => {
    expect(summarise([5, 1, 3, 2, 4])).toEqual({ count: 5, min: 1, median: 3, p95: 5, max: 5, mean: 3 });
    expect(summarise([1, 2, 3, 4])).toMatchObject({ median: 2.5, p95: 4 });
  });
});
