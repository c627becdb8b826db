// A legacy bucket as the old service left it, and a table whose items reference it: datasets
// with unicode and spaces, training and compilation outputs inside dataset folders, packaged
// components, `//` keys, a multipart object, orphans. Bodies are tiny so seeding is quick.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrent } from '../../src/s3/migration/pool.js';

export const TABLE = 'models';
export const ATTRIBUTES = ['artifact_s3', 'dataset_manifest_s3', 'compilation_jobs[].compiled_model_s3', 'packaged_components[].component_package_s3'];

/** What the seed put where. */
export interface Seeded {
  /** Every key written. */
  keys: string[];
  /** legacy key -> new key, for every object that must move. */
  moves: Map<string, string>;
  /** Keys no rule places. */
  orphans: string[];
  /** The multipart object's legacy key. */
  multipartKey: string;
  /** Keys already in the layout. */
  inPlace: string[];
  /** Every object's bytes, by key. */
  bodies: Map<string, Buffer>;
}

export const MULTIPART_BYTES = 12 * 1024;

export async function seedLegacyBucket(s3: S3Client, bucket: string, options: { scale?: number } = {}): Promise<Seeded> {
  const n = options.scale ?? 1;
  const objects: { key: string; body: string; contentType?: string; metadata?: Record<string, string> }[] = [];
  const moves = new Map<string, string>();
  const orphans: string[] = [];
  const inPlace: string[] = [];
  const add = (key: string, target: string | null | 'stay', extra: Partial<(typeof objects)[number]> = {}) => {
    objects.push({ key, body: `body of ${key}`, ...extra });
    if (target === 'stay') inPlace.push(key);
    else if (target === null) orphans.push(key);
    else moves.set(key, target);
  };
  const datasets = Array.from({ length: 10 }, (_, d) => (d % 3 === 0 ? `día ${d}` : `ds-${d}`));
  for (const ds of datasets) add(`datasets/${ds}/manifest.json`, 'stay', { contentType: 'application/json' });
  for (let i = 0; i < 600 * n; i++) add(`datasets/${datasets[i % 10]}/images/img ${i} ü.jpg`, 'stay', { contentType: 'image/jpeg' });
  for (let i = 0; i < 20 * n; i++) add(`datasets/${datasets[i % 10]}//images/dbl ${i}.jpg`, `datasets/${datasets[i % 10]}/images/dbl ${i}.jpg`);
  for (let i = 0; i < 100 * n; i++) {
    const base = `datasets/${datasets[i % 10]}/training-output/train-${i}/output`;
    add(`${base}/model.tar.gz`, `models/training/train-${i}/output/model.tar.gz`, {
      contentType: 'application/gzip',
      metadata: { 'job-name': `train-${i}`, note: 'keep me' },
    });
    add(`${base}/metrics é 1.json`, `models/training/train-${i}/output/metrics é 1.json`, { contentType: 'application/json' });
  }
  for (let i = 0; i < 60 * n; i++) {
    for (const target of ['LINUX_ARM64_NVIDIA', 'jetson_xavier']) {
      const key = `datasets/${datasets[i % 10]}/compilation-output/neo-${i}/model-${target}.tar.gz`;
      add(key, `models/compilation/neo-${i}/${target}/model-${target}.tar.gz`, { contentType: 'application/gzip' });
    }
  }
  for (let i = 0; i < 50 * n; i++) add(`model_artifacts/model-${i}/${i}_greengrass_model_component.zip`, `deployments/model-${i}/${i}_greengrass_model_component.zip`, { contentType: 'application/zip' });
  for (let i = 0; i < 10; i++) add(`tmp/notes ${i}.txt`, null);
  add('datasets/ds-1/compilation-output/neo-0/readme.txt', null);

  await forEachConcurrent(objects, 16, async (o) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body, ContentType: o.contentType, Metadata: o.metadata }));
  });

  const multipartKey = 'datasets/ds-1/training-output/big-job/output/model.tar.gz';
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: multipartKey, ContentType: 'application/gzip', Metadata: { big: 'yes' } }));
  const parts = [];
  const partBodies = [1, 2, 3].map((p) => Buffer.alloc(MULTIPART_BYTES / 3, p));
  for (let p = 1; p <= 3; p++) {
    const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: multipartKey, UploadId, PartNumber: p, Body: partBodies[p - 1] }));
    parts.push({ PartNumber: p, ETag: out.ETag });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: multipartKey, UploadId, MultipartUpload: { Parts: parts } }));
  moves.set(multipartKey, 'models/training/big-job/output/model.tar.gz');
  const bodies = new Map(objects.map((o) => [o.key, Buffer.from(o.body)]));
  bodies.set(multipartKey, Buffer.concat(partBodies));
  return { keys: [...objects.map((o) => o.key), multipartKey], moves, orphans, multipartKey, inPlace, bodies };
}

export async function seedTable(dynamodb: DynamoDBClient, bucket: string, seeded: Seeded): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const doc = DynamoDBDocumentClient.from(dynamodb);
  const uri = (key: string) => `s3://${bucket}/${key}`;
  const training = [...seeded.moves.keys()].filter((k) => k.endsWith('/output/model.tar.gz'));
  const compiled = new Map(
    [...seeded.moves.keys()].flatMap((k) => {
      const m = /compilation-output\/(neo-\d+)\/model-(\w+)\.tar\.gz$/.exec(k);
      return m ? [[`${m[1]}/${m[2]}`, k] as const] : [];
    }),
  );
  const items = training.map((key, i) => {
    const dataset = key.split('/training-output/')[0]!;
    return {
      id: `item-${i}`,
      artifact_s3: uri(key),
      dataset_manifest_s3: uri(`${dataset.replace(/^datasets\/([^/]+).*$/, 'datasets/$1')}/manifest.json`),
      // Not a named attribute: must never be touched.
      notes_s3: uri(key),
      // Only outputs the seed really wrote: every named reference names an existing object.
      compilation_jobs: ['LINUX_ARM64_NVIDIA', 'jetson_xavier']
        .map((t) => ({ target: t, key: compiled.get(`neo-${i}/${t}`) }))
        .filter((j) => j.key !== undefined)
        .map((j) => ({ target: j.target, compiled_model_s3: uri(j.key!) })),
      packaged_components: seeded.moves.has(`model_artifacts/model-${i}/${i}_greengrass_model_component.zip`)
        ? [{ version: '1.0.0', component_package_s3: uri(`model_artifacts/model-${i}/${i}_greengrass_model_component.zip`) }]
        : [],
    };
  });
  await forEachConcurrent(items, 8, async (Item) => {
    await doc.send(new PutCommand({ TableName: TABLE, Item }));
  });
}

/** Every item of the table, sorted by id. */
export async function scanTable(dynamodb: DynamoDBClient): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(dynamodb);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** Every key with its size and ETag, in listing order. */
export async function listing(s3: S3Client, bucket: string): Promise<{ key: string; size: number; etag: string }[]> {
  const out: { key: string; size: number; etag: string }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const c of page.Contents ?? []) out.push({ key: c.Key!, size: c.Size!, etag: c.ETag! });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}
