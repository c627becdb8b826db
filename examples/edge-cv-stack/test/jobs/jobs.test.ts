// Issue 16, item 1: the job endpoints against a real SageMaker emulator (moto's server) and a real
// S3 (s3rver), both on loopback. moto marks jobs completed at once and writes nothing, so the
// tests place outputs themselves where SageMaker would, and check the paths the API reports.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, ListCompilationJobsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { S3PathBuilder } from 'storage-safe-archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompilationJobHandler, createTrainingJobHandler, jobStatusHandler, type ProxyHandler } from '../../src/jobs/job-api.js';
import type { JobDependencies } from '../../src/jobs/job-context.js';
import type { CompilationJobView } from '../../src/jobs/compilation-jobs.js';
import type { TrainingJobView } from '../../src/jobs/training-jobs.js';
import { LOCAL_CREDENTIALS, startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';
import { motoUnavailableReason, startLocalSageMaker, type LocalSageMaker } from '../../src/local/local-sagemaker.js';
import { lambdaContext, toProxyEvent } from '../../src/local/proxy-event.js';

const BUCKET = 'jobs-test-bucket';
const PREFIX = 'edge-cv-poc-';
const ROLE = 'arn:aws:iam::123456789012:role/edge-cv-poc-sagemaker';
const unavailable = motoUnavailableReason();
if (unavailable) console.warn(`[skip] job endpoints: the SageMaker emulator cannot run here: ${unavailable}`);

let s3: LocalS3;
let sagemaker: LocalSageMaker;
let client: SageMakerClient;
let handlers: { training: ProxyHandler; compilation: ProxyHandler; status: ProxyHandler };
const paths = new S3PathBuilder({ bucket: BUCKET });

const training = {
  jobName: `${PREFIX}unet-1`,
  trainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/unet:latest',
  dataset: 'cats',
};
const compilation = {
  jobName: `${PREFIX}unet-1-neo`,
  trainingJob: training.jobName,
  targets: ['jetson_xavier', 'ml_c5', 'rasp4b'],
  framework: 'PYTORCH',
  dataInputConfig: { input0: [1, 3, 224, 224] },
};

async function call<T>(handler: ProxyHandler, request: { method?: string; path: string; body?: unknown }) {
  const event = toProxyEvent({ method: request.method ?? 'POST', path: request.path, body: request.body === undefined ? null : typeof request.body === 'string' ? request.body : JSON.stringify(request.body) });
  const result: APIGatewayProxyResult = await handler(event, lambdaContext('jobs'));
  return { status: result.statusCode, body: JSON.parse(result.body) as T & { error?: string; message?: string; differences?: string[] } };
}

describe.skipIf(unavailable !== undefined)('job endpoints on moto and s3rver', () => {
  beforeAll(async () => {
    [s3, sagemaker] = await Promise.all([startLocalS3({ buckets: [BUCKET] }), startLocalSageMaker()]);
    client = new SageMakerClient({ endpoint: sagemaker.endpoint, region: 'us-east-1', credentials: { ...LOCAL_CREDENTIALS } });
    const deps: JobDependencies = { sagemaker: client, s3: s3.client, paths, roleArn: ROLE, jobPrefix: PREFIX };
    const options = { dependencies: () => deps, service: 'jobs', write: () => undefined };
    handlers = { training: createTrainingJobHandler(options), compilation: createCompilationJobHandler(options), status: jobStatusHandler(options) };
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await Promise.all([s3?.stop(), sagemaker?.stop()]);
  });

  it('creates a training job whose output path is models/training/, and answers 200 with the same job when asked again', async () => {
    const first = await call<TrainingJobView>(handlers.training, { path: '/jobs/training', body: training });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ kind: 'training', jobName: training.jobName, created: true });
    expect(first.body.outputs.prefix).toBe(`s3://${BUCKET}/models/training/${training.jobName}/`);
    expect(first.body.outputs.model).toEqual({ uri: `s3://${BUCKET}/models/training/${training.jobName}/output/model.tar.gz`, availableAt: null });

    const again = await call<TrainingJobView>(handlers.training, { path: '/jobs/training', body: training });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, arn: first.body.arn });
  });

  it('refuses the same name with other settings (409, naming the difference)', async () => {
    const reply = await call(handlers.training, { path: '/jobs/training', body: { ...training, trainingImage: 'other:1' } });
    expect(reply.status).toBe(409);
    expect(reply.body.error).toBe('CONFLICT');
    expect(reply.body.differences).toEqual([expect.stringContaining('trainingImage')]);
  });

  it('answers 400 naming every bad field, and never calls SageMaker for them', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /not valid JSON/],
      [{ ...training, jobName: 'bad_name' }, /jobName: must be 1-63/],
      [{ ...training, jobName: 'other-team-job' }, /jobName: must start with "edge-cv-poc-"/],
      [{ jobName: `${PREFIX}x` }, /trainingImage: .*; dataset: /],
      [{ ...training, instanceCount: 0 }, /instanceCount: /],
      [{ ...training, extra: 1 }, /Unrecognized key: "extra"/],
      [{ ...training, dataset: '../etc' }, /dataset: must be one folder name/],
    ];
    for (const [body, message] of cases) {
      const reply = await call(handlers.training, { path: '/jobs/training', body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.message).toMatch(message);
    }
    const badCompilation = await call(handlers.compilation, { path: '/jobs/compilation', body: { ...compilation, targets: ['ml_c5', 'ml_c5'] } });
    expect(badCompilation.body.message).toMatch(/targets: lists a target twice/);
    const collide = await call(handlers.compilation, { path: '/jobs/compilation', body: { ...compilation, jobName: `${PREFIX}c`, targets: ['ml_c5', 'ml-c5'] } });
    expect(collide.status).toBe(400);
    const listed = await client.send(new ListCompilationJobsCommand({ NameContains: `${PREFIX}c-` }));
    expect(listed.CompilationJobSummaries ?? []).toEqual([]);
  });

  it('reports status with the new-layout model path, and where the object is', async () => {
    const before = await call<TrainingJobView>(handlers.status, { method: 'GET', path: `/jobs/training/${training.jobName}` });
    expect(before.status).toBe(200);
    expect(before.body.status).toBe('Completed');
    expect(before.body.outputs.model.availableAt).toBeNull();

    const key = paths.trainingOutput(training.jobName, 'output', 'model.tar.gz');
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(1234, 7) }));
    const after = await call<TrainingJobView>(handlers.status, { method: 'GET', path: `/jobs/training/${training.jobName}` });
    expect(after.body.outputs.model).toEqual({ uri: `s3://${BUCKET}/${key}`, availableAt: 'new', bytes: 1234 });
  });

  it('maps a job made before the migration to its new-layout path, and says which key holds the model', async () => {
    const jobName = `${PREFIX}legacy-1`;
    await client.send(
      new CreateTrainingJobCommand({
        TrainingJobName: jobName,
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: training.trainingImage, TrainingInputMode: 'File' },
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/datasets/cats/training-output/` },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      }),
    );
    const legacyKey = `datasets/cats/training-output/${jobName}/output/model.tar.gz`;
    const newKey = paths.trainingOutput(jobName, 'output', 'model.tar.gz');
    const status = () => call<TrainingJobView>(handlers.status, { method: 'GET', path: `/jobs/training/${jobName}` });

    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: legacyKey, Body: Buffer.alloc(10) }));
    expect((await status()).body.outputs.model).toEqual({ uri: `s3://${BUCKET}/${newKey}`, legacyUri: `s3://${BUCKET}/${legacyKey}`, availableAt: 'legacy', bytes: 10 });
    // After the migration copied it, the new key answers first.
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: newKey, Body: Buffer.alloc(11) }));
    expect((await status()).body.outputs.model).toMatchObject({ availableAt: 'new', bytes: 11 });
  });

  it('answers 404 for an unknown job and 400 for an unknown kind', async () => {
    const missing = await call(handlers.status, { method: 'GET', path: `/jobs/training/${PREFIX}nope` });
    expect(missing.status).toBe(404);
    const missingCompilation = await call(handlers.status, { method: 'GET', path: `/jobs/compilation/${PREFIX}nope` });
    expect(missingCompilation.status).toBe(404);
    const kind = await call(handlers.status, { method: 'GET', path: `/jobs/deploy/${'x'}` });
    expect(kind.status).toBe(400);
  });

  it('creates one compilation job per target under models/compilation/<job>/<target>/, idempotently', async () => {
    const first = await call<CompilationJobView>(handlers.compilation, { path: '/jobs/compilation', body: compilation });
    expect(first.status).toBe(201);
    expect(first.body.targets.map((t) => [t.target, t.sagemakerJobName, t.prefix, t.created])).toEqual(
      compilation.targets.map((target) => [target, `${compilation.jobName}-${target.replace(/_/g, '-')}`, `s3://${BUCKET}/models/compilation/${compilation.jobName}/${target}/`, true]),
    );
    const again = await call<CompilationJobView>(handlers.compilation, { path: '/jobs/compilation', body: compilation });
    expect(again.status).toBe(200);
    expect(again.body.targets.every((t) => t.created === false)).toBe(true);
    const changed = await call(handlers.compilation, { path: '/jobs/compilation', body: { ...compilation, trainingJob: `${PREFIX}other` } });
    expect(changed.status).toBe(409);
  });

  it('reports a compilation by its output location, with the archives found per target', async () => {
    // A compilation whose name starts the same must not be mixed in.
    const sibling = await call(handlers.compilation, { path: '/jobs/compilation', body: { ...compilation, jobName: `${compilation.jobName}-b`, targets: ['ml_c5'] } });
    expect(sibling.status).toBe(201);
    const archive = paths.compilationOutput(compilation.jobName, 'ml_c5', 'model-ml_c5.tar.gz');
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: archive, Body: Buffer.alloc(99, 1) }));

    const reply = await call<CompilationJobView>(handlers.status, { method: 'GET', path: `/jobs/compilation/${compilation.jobName}` });
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe('COMPLETED');
    expect(reply.body.prefix).toBe(`s3://${BUCKET}/models/compilation/${compilation.jobName}/`);
    expect(reply.body.targets.map((t) => t.target)).toEqual([...compilation.targets].sort());
    const c5 = reply.body.targets.find((t) => t.target === 'ml_c5');
    expect(c5?.artifacts).toEqual([{ uri: `s3://${BUCKET}/${archive}`, availableAt: 'new', bytes: 99 }]);
    expect(reply.body.targets.find((t) => t.target === 'rasp4b')?.artifacts).toEqual([]);
  });
});
