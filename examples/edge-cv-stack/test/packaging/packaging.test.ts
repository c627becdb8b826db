import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { c as createTar } from 'tar';
import { S3PathBuilder, StorageManager, StreamingExtractor, silentLogger } from 'storage-safe-archive';
import { s3RandomAccessSource } from 'storage-safe-archive/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GreengrassRecipe } from '../../src/packaging/greengrass-recipe.js';
import { GreengrassRecipeSchema } from '../../src/packaging/recipe-schema.js';
import type { ReportTable } from '../../src/packaging/report-table.js';
import { LOCAL_CREDENTIALS } from '../../src/local/local-s3.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/local/local-dynamo.js';
import { buildDdaManifest, TrainingArtifactsError } from '../../src/packaging/dda-manifest.js';
import { PackagingEventError, parsePackagingEvent, runPackaging } from '../../src/packaging/packaging-run.js';
import { localS3Client, startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';
import { mountTmpfs } from '../support/tmpfs.js';

const BUCKET = 'packaging-test-bucket';
const TRAINED_MANIFEST = {
  model_graph: { stages: [{ type: 'segmentation', input_shape: [1, 3, 512, 512], seg_output_name: 'mask' }] },
  compilable_models: [{ filename: 'segmentation.pt', data_input_config: { input0: [1, 3, 512, 512] }, framework: 'PYTORCH', extra: 'dropped' }],
};
const CONFIG_YAML = 'model:\n  name: unet\ndataset:\n  image_width: 640   # pixels\n  image_height: 480\n';

let s3: LocalS3;
let dynamo: LocalDynamo;
let reports: ReportTable;
let work: string;
const paths = new S3PathBuilder({ bucket: BUCKET });

async function tarGz(name: string, files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const file = join(work, `${name}.tar.gz`);
  await createTar({ gzip: true, cwd: dir, file, portable: true }, Object.keys(files));
  return readFile(file);
}

async function put(key: string, body: Buffer): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function zipListing(key: string): Promise<Map<string, string>> {
  const source = await s3RandomAccessSource({ client: s3.client, bucket: BUCKET, key });
  const listing = new Map<string, string>();
  try {
    for await (const entry of new StreamingExtractor().entries(source)) {
      if (entry.type !== 'file') {
        await entry.skip();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry.body) chunks.push(chunk as Buffer);
      listing.set(entry.path, Buffer.concat(chunks).toString('utf8'));
    }
  } finally {
    await source.close?.();
  }
  return listing;
}

function recordingPublisher() {
  const recipes: GreengrassRecipe[] = [];
  return {
    recipes,
    publisher: {
      async createComponentVersion(recipe: GreengrassRecipe) {
        recipes.push(recipe);
        return { arn: `arn:aws:greengrass:us-east-1:000000000000:components:${recipe.ComponentName}:versions:${recipe.ComponentVersion}` };
      },
    },
  };
}

async function objectSha256(key: string, encoding: 'hex' | 'base64' = 'hex'): Promise<string> {
  const reply = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return createHash('sha256').update(await reply.Body!.transformToByteArray()).digest(encoding);
}

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  dynamo = await startLocalDynamo();
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { ...LOCAL_CREDENTIALS } });
  await client.send(new CreateTableCommand({ TableName: 'models', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'model_id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'model_id', KeyType: 'HASH' }] }));
  reports = { client: DynamoDBDocumentClient.from(client), table: 'models' };
  work = await mkdtemp(join(tmpdir(), 'edge-cv-packaging-'));
  await put(
    paths.trainingOutput('unet-train-1', 'output', 'model.tar.gz'),
    await tarGz('trained', {
      'model.pt': Buffer.alloc(4096, 7),
      'export_artifacts/manifest.json': JSON.stringify(TRAINED_MANIFEST),
      'config.yaml': CONFIG_YAML,
    }),
  );
  for (const target of ['jetson_xavier', 'x86_64']) {
    await put(
      paths.compilationOutput('unet-neo-1', target, `model-${target}.tar.gz`),
      await tarGz(`compiled-${target}`, {
        'compiled.so': `shared object for ${target}`,
        'compiled.params': Buffer.alloc(64 * 1024, 3).toString('latin1'),
        'compiled_model.json': JSON.stringify({ target }),
        'dlr/libdlr.meta': 'nested file',
      }),
    );
  }
});
afterAll(async () => {
  reports?.client.destroy();
  await dynamo?.stop();
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('packaging', () => {
  it('samples the working disk through the run with the library monitor (warning logged when reached) and reserves what the plan says per target', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    // A warning ratio any real disk is over, so the monitor's warning must fire during the run.
    const storage = new StorageManager({ path: work, warningRatio: 0.000001, criticalRatio: 0.999999, logger });
    const report = await runPackaging(
      { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['jetson_xavier'], componentName: 'unet-monitored', componentVersion: '1.0.0' },
      { s3: s3.client, paths, publisher: recordingPublisher().publisher, storage, logger: silentLogger, storageSampleMs: 5 },
    );
    expect(report.status).toBe('SUCCEEDED');
    const disk = await storage.getMetrics();
    // At least the first sample and the one at the end; the peak is a real reading of this disk.
    expect(report.storage.samples).toBeGreaterThanOrEqual(2);
    expect(report.storage.peakUsedBytes).toBeGreaterThan(0);
    expect(report.storage.peakUsedBytes).toBeLessThanOrEqual(disk.totalSpace);
    expect(report.storage.peakUsedRatio).toBeGreaterThan(0.000001);
    expect(warnings).toContain('disk usage reached the warning threshold');
    // Streaming to S3: the plan's peak disk per target is 0, and that is what was reserved.
    expect(report.plan.strategy).toBe('stream');
    expect(report.storage.reservedPerTargetBytes).toBe(0);
    const given = await runPackaging(
      { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['x86_64'], componentName: 'unet-monitored', componentVersion: '1.0.1' },
      { s3: s3.client, paths, publisher: recordingPublisher().publisher, storage: new StorageManager({ path: work }), logger: silentLogger, perTargetDiskBytes: 4096 },
    );
    expect(given.storage.reservedPerTargetBytes).toBe(4096);
  });

  it('packages two targets into zips with the DDA manifest at the root and the model under <stage_type>/, and publishes a component per target', async () => {
    const { publisher, recipes } = recordingPublisher();
    const report = await runPackaging(
      { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['jetson_xavier', 'x86_64'], componentName: 'unet', componentVersion: '1.0.0' },
      { s3: s3.client, paths, publisher, storage: new StorageManager({ path: work }), logger: silentLogger, reports },
    );
    expect(report.status).toBe('SUCCEEDED');
    expect(report.stageType).toBe('segmentation');
    expect(report.plan).toMatchObject({ strategy: 'stream', concurrency: 2 });
    expect(report.succeeded.map((t) => t.key)).toEqual(['deployments/unet/1.0.0/jetson_xavier/unet-jetson_xavier.zip', 'deployments/unet/1.0.0/x86_64/unet-x86_64.zip']);
    expect(report.succeeded.map((t) => t.written)).toEqual([true, true]);

    for (const target of ['jetson_xavier', 'x86_64']) {
      const zip = await zipListing(`deployments/unet/1.0.0/${target}/unet-${target}.zip`);
      expect([...zip.keys()].sort()).toEqual(['manifest.json', 'segmentation/compiled.params', 'segmentation/compiled.so', 'segmentation/compiled_model.json', 'segmentation/dlr/libdlr.meta']);
      expect(zip.get('segmentation/compiled.so')).toBe(`shared object for ${target}`);
      expect(JSON.parse(zip.get('manifest.json') ?? '')).toEqual({
        model_graph: TRAINED_MANIFEST.model_graph,
        compilable_models: [{ filename: 'segmentation.pt', data_input_config: { input0: [1, 3, 512, 512] }, framework: 'PYTORCH' }],
        dataset: { image_width: 640, image_height: 480 },
      });
    }

    expect(recipes.map((r) => r.ComponentName)).toEqual(['unet-jetson_xavier', 'unet-x86_64']);
    const xavierKey = 'deployments/unet/1.0.0/jetson_xavier/unet-jetson_xavier.zip';
    expect(recipes[0]?.Manifests[0]).toEqual({
      Platform: { os: 'linux', architecture: 'aarch64' },
      Artifacts: [{ URI: `s3://${BUCKET}/${xavierKey}`, Digest: await objectSha256(xavierKey, 'base64'), Algorithm: 'SHA-256', Unarchive: 'ZIP', Permission: { Read: 'OWNER' } }],
    });
    expect(recipes[1]?.Manifests[0]?.Platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(report.succeeded[0]?.componentArn).toContain('unet-jetson_xavier');

    // The digest in the result, the recipe and the report is the object's, hashed here from S3.
    for (const [i, target] of report.succeeded.entries()) {
      expect(GreengrassRecipeSchema.safeParse(recipes[i]).error).toBeUndefined();
      expect(target.sha256).toBe(await objectSha256(target.key));
      expect(recipes[i]?.Manifests[0]?.Artifacts[0]?.Digest).toBe(Buffer.from(target.sha256, 'hex').toString('base64'));
    }
    const item = await reports.client.send(new GetCommand({ TableName: 'models', Key: { model_id: 'unet@1.0.0' } }));
    expect(item.Item).toMatchObject({ record_type: 'packaging-report', component_name: 'unet', component_version: '1.0.0', status: 'SUCCEEDED' });
    expect(item.Item?.targets).toEqual(
      report.succeeded.map((t) => ({
        target: t.target,
        status: 'SUCCEEDED',
        artifact_s3: `s3://${BUCKET}/${t.key}`,
        sha256: t.sha256,
        sha256_base64: t.sha256Base64,
        bytes: t.bytes,
        digest_s3: `s3://${BUCKET}/${t.key}.sha256`,
        written: true,
        component_name: `unet-${t.target}`,
      })),
    );
  });

  it('packages a version again without writing, and takes Greengrass\'s "version exists" as already published', async () => {
    const event = { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['x86_64'], componentName: 'again', componentVersion: '1.0.0' };
    const deps = { s3: s3.client, paths, storage: new StorageManager({ path: work }), logger: silentLogger, reports, retries: 0 };
    const first = await runPackaging(event, { ...deps, publisher: recordingPublisher().publisher });
    const exists = Object.assign(new Error('Component again-x86_64 version 1.0.0 already exists'), { name: 'ConflictException' });
    const second = await runPackaging(event, { ...deps, publisher: { createComponentVersion: () => Promise.reject(exists) } });
    expect(second.status).toBe('SUCCEEDED');
    expect(second.succeeded[0]).toMatchObject({ written: false, alreadyPublished: true, sha256: first.succeeded[0]?.sha256 });
    const item = await reports.client.send(new GetCommand({ TableName: 'models', Key: { model_id: 'again@1.0.0' } }));
    expect(item.Item?.targets[0]).toMatchObject({ written: false, sha256: first.succeeded[0]?.sha256 });
  });

  it('reports a target without a compiled model and a failed publish without stopping the others', async () => {
    const { publisher, recipes } = recordingPublisher();
    const failingPublisher = {
      async createComponentVersion(recipe: GreengrassRecipe) {
        if (recipe.ComponentName.endsWith('x86_64')) throw new Error('ConflictException: version exists');
        return publisher.createComponentVersion(recipe);
      },
    };
    const report = await runPackaging(
      { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['rasp4b', 'jetson_xavier', 'x86_64'], componentName: 'unet2', componentVersion: '2.0.0' },
      { s3: s3.client, paths, publisher: failingPublisher, storage: new StorageManager({ path: work }), logger: silentLogger, retries: 0 },
    );
    expect(report.status).toBe('PARTIAL');
    expect(report.succeeded.map((t) => t.target)).toEqual(['jetson_xavier']);
    expect(report.failed).toEqual([
      expect.objectContaining({ target: 'rasp4b', stage: 'package', error: expect.stringMatching(/no compiled model/) }),
      expect.objectContaining({ target: 'x86_64', stage: 'publish', error: expect.stringMatching(/ConflictException/) }),
    ]);
    expect(recipes.map((r) => r.ComponentName)).toEqual(['unet2-jetson_xavier']);
  });

  it('retries a target after a throttled upload, deleting nothing (a published key is compared, never removed)', async () => {
    // Fault injection on a real client talking to the real s3rver: the first upload of a zip is
    // answered as S3 answers when it throttles. Nothing about S3 is mocked.
    const client = localS3Client(s3.endpoint);
    const zipWrites: string[] = [];
    let throttled = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        const command = (context as { commandName?: string }).commandName ?? '';
        if (input.Key?.endsWith('.zip') && /PutObject|CreateMultipartUpload|DeleteObject/.test(command)) zipWrites.push(command);
        if (input.Key?.endsWith('.zip') && /PutObject|CreateMultipartUpload/.test(command) && throttled === 0) {
          throttled += 1;
          throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttleFirstZipUpload' },
    );
    try {
      const { publisher } = recordingPublisher();
      const report = await runPackaging(
        { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['x86_64'], componentName: 'retried', componentVersion: '1.0.0' },
        { s3: client, paths, publisher, storage: new StorageManager({ path: work }), logger: silentLogger, retries: 2 },
      );
      expect(report.status).toBe('SUCCEEDED');
      expect(throttled).toBe(1);
      expect(zipWrites.filter((c) => c.includes('DeleteObject'))).toEqual([]);
      expect(report.succeeded[0]?.written).toBe(true);
      expect((await zipListing('deployments/retried/1.0.0/x86_64/retried-x86_64.zip')).has('manifest.json')).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('runs a target refused a disk reservation after the others, one at a time (real 1 MiB tmpfs)', async (ctx) => {
    const disk = mountTmpfs(1024 * 1024);
    if ('skipReason' in disk) {
      console.warn(`skipping: ${disk.skipReason}`);
      return ctx.skip();
    }
    try {
      const { publisher } = recordingPublisher();
      // Each target holds 600 KiB of the 1 MiB disk while it runs: two cannot run at once.
      const report = await runPackaging(
        { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['jetson_xavier', 'x86_64'], componentName: 'tight', componentVersion: '1.0.0' },
        { s3: s3.client, paths, publisher, storage: new StorageManager({ path: disk.path }), logger: silentLogger, perTargetDiskBytes: 600 * 1024 },
      );
      expect(report.status).toBe('SUCCEEDED');
      expect(report.plan.concurrency).toBe(2);
      expect(report.plan.sequentialFallback).toHaveLength(1);
      expect(report.succeeded.map((t) => t.target)).toEqual(['jetson_xavier', 'x86_64']);
    } finally {
      disk.unmount();
    }
  });

  it('runs one target at a time when the plan allows no concurrency', async () => {
    const { publisher } = recordingPublisher();
    const report = await runPackaging(
      { trainingJob: 'unet-train-1', compilationJob: 'unet-neo-1', targets: ['jetson_xavier'], componentName: 'solo', componentVersion: '1.0.0' },
      { s3: s3.client, paths, publisher, storage: new StorageManager({ path: work }), logger: silentLogger },
    );
    expect(report.status).toBe('SUCCEEDED');
    expect(report.plan.concurrency).toBe(1);
  });

  it('refuses bad events before touching S3', () => {
    const good = { trainingJob: 't', compilationJob: 'c', targets: ['x86_64'], componentName: 'n', componentVersion: '1.0.0' };
    expect(parsePackagingEvent(good)).toEqual(good);
    expect(() => parsePackagingEvent({ ...good, targets: [] })).toThrow(PackagingEventError);
    expect(() => parsePackagingEvent({ ...good, targets: ['x86_64', 'x86_64'] })).toThrow(/twice/);
    expect(() => parsePackagingEvent({ ...good, targets: ['../evil'] })).toThrow(/must match/);
    expect(() => parsePackagingEvent({ ...good, componentVersion: 'v1' })).toThrow(/componentVersion/);
  });

  it('explains what the training metadata lacks', () => {
    expect(() => buildDdaManifest('{}', CONFIG_YAML)).toThrow(TrainingArtifactsError);
    expect(() => buildDdaManifest(JSON.stringify(TRAINED_MANIFEST), 'dataset: {}')).toThrow(/image_width/);
  });
});
