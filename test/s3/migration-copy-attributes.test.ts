// Issue 15: a migrated copy keeps the object's storage class, user metadata, tags and kind of
// additional checksum, on both copy paths, against s3rver (with the test-support fixes) and
// dynalite. Where s3rver cannot show a loss, the request is checked instead, and says so:
// its CopyObject copies the whole stored metadata (storage class included) whatever the request
// asks, stores no checksums, and drops tags (S3 copies them with TaggingDirective COPY).
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigration } from '../../src/s3/index.js';
import { checksumAlgorithmOf } from '../../src/s3/migration/s3-objects.js';
import { localCredentials, startLocalDynamo, startLocalS3, type LocalDynamo, type LocalS3 } from '../support/s3.js';

const BUCKET = 'attributes-bucket';
const SMALL = 'datasets/cams/training-output/small-job/output/model.tar.gz';
const BIG = 'datasets/cams/training-output/big-job/output/model.tar.gz';
const TAGS = [
  { Key: 'team', Value: 'vision' },
  { Key: 'retention', Value: 'long' },
];
let s3: LocalS3;
let dynamo: LocalDynamo;
let dynamodb: DynamoDBClient;
const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
let recording: S3Client;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3(), startLocalDynamo()]);
  await s3.createBucket(BUCKET);
  dynamodb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: localCredentials });
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: SMALL, Body: Buffer.alloc(1024, 1), ContentType: 'application/gzip', StorageClass: 'STANDARD_IA', Metadata: { owner: 'ml' } }));
  const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: BIG, ContentType: 'application/gzip', StorageClass: 'STANDARD_IA', Metadata: { owner: 'ml', size: 'big' } }));
  const parts = [];
  for (let p = 1; p <= 3; p++) {
    const out = await s3.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: BIG, UploadId, PartNumber: p, Body: Buffer.alloc(4 * 1024, p) }));
    parts.push({ PartNumber: p, ETag: out.ETag });
  }
  await s3.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: BIG, UploadId, MultipartUpload: { Parts: parts } }));
  for (const key of [SMALL, BIG]) await s3.client.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: key, Tagging: { TagSet: TAGS } }));
  await dynamodb.send(new CreateTableCommand({ TableName: 'models', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  await DynamoDBDocumentClient.from(dynamodb).send(new PutCommand({ TableName: 'models', Item: { id: 'm1', artifact_s3: `s3://${BUCKET}/${BIG}` } }));

  recording = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: localCredentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  recording.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: (context as { commandName: string }).commandName, input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordRequests' },
  );
  // 12 KiB is over the 8 KiB threshold: BIG goes by UploadPartCopy, SMALL by CopyObject.
  const report = await runMigration({ s3: recording, bucket: BUCKET, dynamodb, tables: [{ table: 'models', attributes: ['artifact_s3'] }], multipartThresholdBytes: 8 * 1024, partSizeBytes: 5 * 1024, retryMinDelayMs: 10 });
  expect(report.copied).toBe(2);
});

afterAll(async () => {
  recording?.destroy();
  dynamodb?.destroy();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

const target = (legacy: string) => legacy.replace(/^datasets\/cams\/training-output\//, 'models/training/');

async function attributes(key: string) {
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  const tags = await s3.client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
  return { storageClass: head.StorageClass, contentType: head.ContentType, metadata: head.Metadata, tags: tags.TagSet };
}

describe('migration copies keep the object\'s attributes', () => {
  it('a multipart copy (UploadPartCopy) keeps storage class, metadata and tags, on the server', async () => {
    expect(await attributes(target(BIG))).toEqual({ storageClass: 'STANDARD_IA', contentType: 'application/gzip', metadata: { owner: 'ml', size: 'big' }, tags: TAGS });
    expect(sent.find((r) => r.command === 'CreateMultipartUploadCommand' && r.input.Key === target(BIG))?.input).toMatchObject({ StorageClass: 'STANDARD_IA', Metadata: { owner: 'ml', size: 'big' } });
    const item = await DynamoDBDocumentClient.from(dynamodb).send(new GetCommand({ TableName: 'models', Key: { id: 'm1' } }));
    expect(item.Item?.artifact_s3).toBe(`s3://${BUCKET}/${target(BIG)}`);
  });

  it('a CopyObject copy asks S3 for the storage class and the source\'s metadata and tags', async () => {
    const copy = sent.find((r) => r.command === 'CopyObjectCommand' && r.input.Key === target(SMALL));
    expect(copy?.input).toMatchObject({ StorageClass: 'STANDARD_IA', MetadataDirective: 'COPY', TaggingDirective: 'COPY' });
    // What s3rver can show: metadata and storage class arrive (it copies its stored metadata).
    const copied = await attributes(target(SMALL));
    expect(copied).toMatchObject({ storageClass: 'STANDARD_IA', contentType: 'application/gzip', metadata: { owner: 'ml' } });
  });

  it('asks for the source\'s kind of additional checksum (HEAD with ChecksumMode ENABLED)', () => {
    expect(sent.filter((r) => r.command === 'HeadObjectCommand' && r.input.Key === SMALL).every((r) => r.input.ChecksumMode === 'ENABLED')).toBe(true);
    // s3rver stores no checksums, so no copy here has one to keep; the choice itself:
    expect(checksumAlgorithmOf({ ChecksumSHA256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=' })).toBe('SHA256');
    expect(checksumAlgorithmOf({ ChecksumCRC32C: 'yZRlqg==' })).toBe('CRC32C');
    expect(checksumAlgorithmOf({ ChecksumCRC64NVME: 'AAAAAAAAAAA=' })).toBe('CRC64NVME');
    expect(checksumAlgorithmOf({})).toBeUndefined();
    const copy = sent.find((r) => r.command === 'CopyObjectCommand' && r.input.Key === target(SMALL));
    expect(copy?.input).not.toHaveProperty('ChecksumAlgorithm');
  });
});
