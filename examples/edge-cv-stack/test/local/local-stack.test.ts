import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalFacts, type LocalStack } from '../../src/local/local-stack.js';
import { motoUnavailableReason } from '../../src/local/local-sagemaker.js';

const noSageMaker = motoUnavailableReason();
if (noSageMaker) console.warn(`[skip] local job routes: ${noSageMaker}`);

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, prefix: 'local-test', echoLogs: false });
});
afterAll(async () => {
  await stack?.stop();
});

async function post(path: string, body: unknown) {
  const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

describe('local mode over HTTP', () => {
  it.skipIf(noSageMaker !== undefined)('creates a training job on moto through POST /jobs/training and reads it with GET, 405 for the wrong method', async () => {
    const body = { jobName: 'local-test-unet', trainingImage: 'local/unet:1', dataset: 'cats' };
    const created = await post('/jobs/training', body);
    expect(created.status).toBe(201);
    expect(created.headers.get('x-local-function')).toBe('local-test-create-training-job');
    const status = await fetch(`${stack.url}/jobs/training/local-test-unet`);
    const view = (await status.json()) as Record<string, any>;
    expect(status.status).toBe(200);
    expect(view.outputs.model.uri).toBe('s3://local-test-ml-models-bucket/models/training/local-test-unet/output/model.tar.gz');
    const wrong = await fetch(`${stack.url}/jobs/training/local-test-unet`, { method: 'POST', body: '{}' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('OPTIONS, GET');
    expect(stack.sagemakerUnavailable).toBeUndefined();
  });

  it('serves on loopback and names the bucket after the prefix', () => {
    expect(stack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.bucket).toBe('local-test-ml-models-bucket');
  });

  it('answers CORS preflight', async () => {
    const response = await fetch(`${stack.url}/predict`, { method: 'OPTIONS', headers: { Origin: 'http://example.org', 'Access-Control-Request-Method': 'POST' } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('ingests and predicts end to end, cold on first call and warm after, cold again after recycle', async () => {
    const data = Buffer.alloc(64);
    for (let i = 0; i < 16; i++) data.writeFloatLE(i, i * 4);
    const ingested = await post('/ingest', { key: 'e2e/model.bin', data: data.toString('base64') });
    expect(ingested.status).toBe(201);
    expect(ingested.headers.get('access-control-allow-origin')).toBe('*');
    expect(ingested.headers.get('x-local-cold-start')).toBe('true');
    const again = await post('/ingest', { key: 'e2e/model.bin', data: data.toString('base64') });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-local-cold-start')).toBe('false');
    expect(again.body.fileId).toBe(ingested.body.fileId);

    const cold = await post('/predict', { fileId: ingested.body.fileId });
    const warm = await post('/predict', { fileId: ingested.body.fileId });
    expect(cold.status).toBe(200);
    expect(cold.headers.get('x-local-cold-start')).toBe('true');
    expect(Number(cold.headers.get('x-local-init-ms'))).toBeGreaterThan(0);
    expect(warm.headers.get('x-local-cold-start')).toBe('false');
    expect(warm.body.result.model.sha256).toBe(ingested.body.sha256);
    expect(warm.body.result.model.float32).toMatchObject({ count: 16, min: 0, max: 15, mean: 7.5 });
    expect(warm.body.s3Key).toBe(`outputs/${ingested.body.fileId}.result`);

    const recycled = await fetch(`${stack.url}/_local/recycle?function=consumer`, { method: 'POST' });
    expect(recycled.status).toBe(200);
    const coldAgain = await post('/predict', { fileId: ingested.body.fileId });
    expect(coldAgain.headers.get('x-local-cold-start')).toBe('true');
    expect(stack.functions.consumer.stats.coldStarts).toBe(2);
  });

  it('copies an object uploaded under models/ to the mount through the S3 notification', async () => {
    await stack.s3.client.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'models/uploaded model+1.bin', Body: 'from the bucket' }));
    await stack.eventsSettled();
    expect(await readFile(join(stack.mountPath, 'models/uploaded model+1.bin'), 'utf8')).toBe('from the bucket');
    const ingest = await post('/ingest', { key: 'uploaded model+1.bin' });
    expect(ingest.status).toBe(200);
    expect(ingest.body.created).toBe(false);
  });

  it('passes handler errors through: 404 and 400 with CORS', async () => {
    const missing = await post('/predict', { fileId: '0'.repeat(32) });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'NOT_FOUND', fileId: '0'.repeat(32) });
    const bad = await post('/ingest', '{oops');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe('*');
    expect((await fetch(`${stack.url}/nowhere`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${stack.url}/predict`)).status).toBe(405);
  });

  it('reports facts: configuration, logs of both functions, the outputs/ listing', async () => {
    const facts = (await (await fetch(`${stack.url}/_local/facts`)).json()) as LocalFacts;
    expect(facts.mode).toBe('local');
    expect(facts.outputs.efs.length).toBeGreaterThan(0);
    expect(facts.outputs.s3.map((o) => o.key)).toEqual(facts.outputs.efs.map((o) => `outputs/${o.name}`));
    expect(facts.logs.producer?.some((line) => JSON.parse(line).message === 'ingested')).toBe(true);
    expect(facts.logs.consumer?.some((line) => JSON.parse(line).message === 'predicted')).toBe(true);
    expect(facts.tables).toMatchObject({ trainingJobs: 'local-test-training-jobs', models: 'local-test-models' });
  });
});
