// Issue 16, item 3: the deployed packaging definition runs on a real ASL executor
// (aws-local-stepfunctions) wired to the local packaging function, with s3rver as S3: one model,
// three targets, packaged in parallel, and a report whose SHA-256 per target is the uploaded zip's.
import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { S3PathBuilder } from 'storage-safe-archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledModelArchive, placeAt, trainedModelArchive } from '../../src/demo/sample-archives.js';
import { startLocalStack, type LocalStack } from '../../src/local/local-stack.js';
import type { LocalExecution } from '../../src/local/local-workflow.js';
import { LOCAL_CREDENTIALS } from '../../src/local/local-s3.js';

const TARGETS = ['jetson_xavier', 'ml_c5', 'rasp4b'];
let stack: LocalStack;
let paths: S3PathBuilder;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, prefix: 'wf-test', echoLogs: false, sagemaker: false });
  paths = new S3PathBuilder({ bucket: stack.bucket });
  await placeAt(stack.s3.client, paths.toUri(paths.trainingOutput('wf-train', 'output', 'model.tar.gz')), await trainedModelArchive());
  for (const target of TARGETS) {
    await placeAt(stack.s3.client, paths.toUri(paths.compilationOutput('wf-neo', target, `model-${target}.tar.gz`)), await compiledModelArchive(target));
  }
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const event = (targets: string[], componentVersion = '1.0.0') => ({ trainingJob: 'wf-train', compilationJob: 'wf-neo', targets, componentName: 'unet', componentVersion });

async function sha256Of(key: string): Promise<string> {
  const reply = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
  return createHash('sha256').update(await reply.Body!.transformToByteArray()).digest('hex');
}

describe('packaging state machine on the local executor', () => {
  it('POST /_local/job-outputs places sample outputs at the new-layout paths of the jobs, which the state machine then packages', async () => {
    const targets = ['jetson_xavier', 'ml_c5', 'rasp4b'];
    const placed = await fetch(`${stack.url}/_local/job-outputs`, { method: 'POST', body: JSON.stringify({ trainingJob: 'placed-train', compilationJob: 'placed-neo', targets }) });
    expect(placed.status).toBe(201);
    const uris = (await placed.json()) as { training: string; compiled: Record<string, string> };
    expect(uris.training).toBe(paths.toUri('models/training/placed-train/output/model.tar.gz'));
    expect(uris.compiled.ml_c5).toBe(paths.toUri('models/compilation/placed-neo/ml_c5/model-ml_c5.tar.gz'));
    for (const key of ['models/training/placed-train/output/model.tar.gz', ...targets.map((t) => `models/compilation/placed-neo/${t}/model-${t}.tar.gz`)]) {
      const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
      expect(head.ContentLength).toBeGreaterThan(0);
    }
    const response = await fetch(`${stack.url}/_local/packaging`, {
      method: 'POST',
      body: JSON.stringify({ trainingJob: 'placed-train', compilationJob: 'placed-neo', targets, componentName: 'placed', componentVersion: '1.0.0' }),
    });
    const run = (await response.json()) as LocalExecution;
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.report?.targets.map((t) => [t.target, t.status])).toEqual(targets.map((t) => [t, 'SUCCEEDED']));
    const bad = await fetch(`${stack.url}/_local/job-outputs`, { method: 'POST', body: JSON.stringify({ trainingJob: 'x', compilationJob: 'bad name', targets: [] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/compilationJob.*targets|targets.*compilationJob/s);
  });

  it('packages three targets in parallel through POST /_local/packaging and reports each SHA-256', async () => {
    const response = await fetch(`${stack.url}/_local/packaging`, { method: 'POST', body: JSON.stringify(event(TARGETS)) });
    expect(response.status).toBe(200);
    const run = (await response.json()) as LocalExecution;
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.peakConcurrency).toBeGreaterThanOrEqual(2);
    expect(run.peakConcurrency).toBeLessThanOrEqual(run.maxConcurrency);
    const report = run.report!;
    expect(report.status).toBe('SUCCEEDED');
    expect(report.targets.map((t) => [t.target, t.status])).toEqual(TARGETS.map((t) => [t, 'SUCCEEDED']));
    for (const row of report.targets) {
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(row.sha256).toBe(await sha256Of(row.key!));
      expect(row.bytes).toBeGreaterThan(0);
      expect(row.seconds).toBeGreaterThan(0);
    }
    expect(new Set(report.targets.map((t) => t.sha256)).size).toBe(3);
    for (const row of report.targets) {
      expect(row.sha256Base64).toBe(Buffer.from(row.sha256!, 'hex').toString('base64'));
      expect(row.key).toBe(`deployments/unet/1.0.0/${row.target}/unet-${row.target}.zip`);
    }
    // The report is recorded in the models table (dynalite), one item for the component version.
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamo.endpoint, region: 'us-east-1', credentials: { ...LOCAL_CREDENTIALS } }));
    try {
      const item = await dynamo.send(new GetCommand({ TableName: 'wf-test-models', Key: { model_id: 'unet@1.0.0' } }));
      expect(item.Item).toMatchObject({ record_type: 'packaging-report', status: 'SUCCEEDED', execution_name: run.executionName });
      expect((item.Item?.targets as Array<{ target: string; sha256: string; artifact_s3: string }>).map((t) => [t.target, t.sha256, t.artifact_s3])).toEqual(
        report.targets.map((t) => [t.target, t.sha256, paths.toUri(t.key!)]),
      );
    } finally {
      dynamo.destroy();
    }
    // The report is in the bucket too, under the component.
    const stored = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: paths.deployment('unet', 'reports', `${run.executionName}.json`) }));
    expect(JSON.parse(await stored.Body!.transformToString())).toEqual(report);
  });

  it('v1 again writes nothing and reports the same digests; v2 gets its own keys and leaves v1 untouched', async () => {
    const first = await stack.runPackagingWorkflow(event(['ml_c5']));
    expect(first.status, first.error).toBe('SUCCEEDED');
    const v1 = first.report!.targets[0]!;
    const head = async (key: string) => {
      const h = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
      return [h.ETag, h.LastModified?.toISOString(), h.ContentLength];
    };
    const v1Head = await head(v1.key!);

    const again = await stack.runPackagingWorkflow(event(['ml_c5']));
    expect(again.report?.targets[0]).toMatchObject({ status: 'SUCCEEDED', key: v1.key, sha256: v1.sha256, written: false });
    expect(await head(v1.key!)).toEqual(v1Head);

    const v2 = await stack.runPackagingWorkflow(event(['ml_c5'], '2.0.0'));
    expect(v2.report?.targets[0]).toMatchObject({ status: 'SUCCEEDED', key: 'deployments/unet/2.0.0/ml_c5/unet-ml_c5.zip', written: true });
    // Deterministic: the same compiled model gives the same bytes under the new version's key.
    expect(v2.report?.targets[0]?.sha256).toBe(v1.sha256);
    expect(await head(v1.key!)).toEqual(v1Head);
    expect(await sha256Of(v1.key!)).toBe(v1.sha256);
  });

  it('honours MaxConcurrency 1 (one target at a time)', async () => {
    const run = await stack.runPackagingWorkflow(event(TARGETS), { maxConcurrency: 1 });
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.peakConcurrency).toBe(1);
  });

  it('a target with no compiled model fails the map (no tolerated failures locally) and the Catch writes a FAILED report', async () => {
    const run = await stack.runPackagingWorkflow(event(['ml_c5', 'no_such_target']));
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/PackagingFailed|no target was packaged/);
    expect(run.report?.status).toBe('FAILED');
    expect(run.report?.mapError).toMatch(/no compiled model/);
  });

  it('refuses a bad request in the validate step, before any target starts', async () => {
    const run = await stack.runPackagingWorkflow({ ...event(['ml_c5']), componentVersion: 'one' });
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/componentVersion/);
    expect(run.report).toBeUndefined();
  });
});
