// Issue 15, item 2: same compiled archive + same version + same target => the same zip, byte for
// byte, whenever it is packaged. The clock is faked (Date only, so sockets and timers run for
// real) and moved seven minutes between two packagings into two buckets of the same s3rver.
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3PathBuilder, StreamingExtractor, silentLogger } from 'storage-safe-archive';
import { s3RandomAccessSource } from 'storage-safe-archive/s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { compiledModelArchive } from '../../src/demo/sample-archives.js';
import { buildDdaManifest } from '../../src/packaging/dda-manifest.js';
import { packageTarget, type TargetJob } from '../../src/packaging/package-target.js';
import { startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';

const BUCKETS = ['deterministic-a', 'deterministic-b'] as const;
const manifest = buildDdaManifest(
  JSON.stringify({ model_graph: { stages: [{ type: 'segmentation' }] }, compilable_models: [{ filename: 'model.pt', data_input_config: { input0: [1, 3, 480, 640] }, framework: 'PYTORCH' }] }),
  'dataset:\n  image_width: 640\n  image_height: 480\n',
);
const SEVEN_MINUTES = 7 * 60 * 1000;
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [...BUCKETS] });
  const compiled = await compiledModelArchive('jetson_xavier');
  for (const bucket of BUCKETS) {
    const paths = new S3PathBuilder({ bucket });
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: paths.compilationOutput('neo-det', 'jetson_xavier', 'model-jetson_xavier.tar.gz'), Body: compiled }));
  }
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await s3?.stop();
});

function job(bucket: string, overrides: Partial<TargetJob> = {}): TargetJob {
  return {
    s3: s3.client,
    paths: new S3PathBuilder({ bucket }),
    compilationJob: 'neo-det',
    target: 'jetson_xavier',
    componentName: 'det',
    componentVersion: '1.0.0',
    manifest,
    stageType: 'segmentation',
    logger: silentLogger,
    retries: 0,
    ...overrides,
  };
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const reply = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await reply.Body!.transformToByteArray());
}

async function zipEntry(bucket: string, key: string, name: string): Promise<Buffer> {
  const source = await s3RandomAccessSource({ client: s3.client, bucket, key });
  try {
    for await (const entry of new StreamingExtractor().entries(source)) {
      if (entry.path !== name) {
        await entry.skip();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry.body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
  } finally {
    await source.close?.();
  }
  throw new Error(`${name} is not in s3://${bucket}/${key}`);
}

/** Packages into each bucket in turn, the fake clock seven minutes later for the second. */
async function packageMinutesApart(overrides: Partial<TargetJob>) {
  vi.useFakeTimers({ toFake: ['Date'] });
  const start = Date.now();
  vi.setSystemTime(start);
  const first = await packageTarget(job(BUCKETS[0], overrides));
  vi.setSystemTime(start + SEVEN_MINUTES);
  expect(Date.now() - start).toBeGreaterThanOrEqual(SEVEN_MINUTES);
  const second = await packageTarget(job(BUCKETS[1], overrides));
  vi.useRealTimers();
  return [first, second] as const;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('deterministic packaging', () => {
  it('gives byte-identical zips, manifests and digest files when packaged seven minutes apart', async () => {
    const [first, second] = await packageMinutesApart({});
    expect(first.written && second.written).toBe(true);
    expect(first.key).toBe(second.key);
    const [a, b] = await Promise.all(BUCKETS.map((bucket) => objectBytes(bucket, first.key)));
    expect(sha256(a!)).toBe(first.sha256);
    expect(sha256(b!)).toBe(second.sha256);
    expect(second.sha256).toBe(first.sha256);
    expect(a!.equals(b!)).toBe(true);
    const [manifestA, manifestB] = await Promise.all(BUCKETS.map((bucket) => zipEntry(bucket, first.key, 'manifest.json')));
    expect(manifestA!.equals(manifestB!)).toBe(true);
    expect(JSON.parse(manifestA!.toString('utf8'))).toEqual(manifest);
    const [digestA, digestB] = await Promise.all(BUCKETS.map((bucket) => objectBytes(bucket, `${first.key}.sha256`)));
    expect(digestA!.equals(digestB!)).toBe(true);
  });

  it('control: with deterministic: false the same inputs give different bytes seven minutes apart (the test can fail)', async () => {
    const [first, second] = await packageMinutesApart({ componentName: 'nondet', deterministic: false });
    expect(first.written && second.written).toBe(true);
    expect(second.sha256).not.toBe(first.sha256);
  });
});
