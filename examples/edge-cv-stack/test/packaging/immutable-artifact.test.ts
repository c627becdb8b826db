// Issue 15, item 1: versioned keys, written once. Every test runs against s3rver over HTTP. s3rver
// 3.7.1 ignores If-None-Match on writes (the first test shows it), so the HEAD-then-compare path
// is what refuses a second write here; the conditional-write path (S3's 412) is exercised by
// answering the write with the 412 S3 would send, on a real client talking to the real server.
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3PathBuilder, silentLogger } from 'storage-safe-archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledModelArchive, tarGz } from '../../src/demo/sample-archives.js';
import { buildDdaManifest } from '../../src/packaging/dda-manifest.js';
import { ArtifactConflictError, digestFileKey } from '../../src/packaging/immutable-artifact.js';
import { deploymentKey, packageTarget, type TargetJob } from '../../src/packaging/package-target.js';
import { localS3Client, startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';

const BUCKET = 'immutable-test-bucket';
const paths = new S3PathBuilder({ bucket: BUCKET });
const manifest = buildDdaManifest(
  JSON.stringify({ model_graph: { stages: [{ type: 'classification' }] }, compilable_models: [{ filename: 'model.pt', data_input_config: { input0: [1, 3, 224, 224] }, framework: 'PYTORCH' }] }),
  'dataset:\n  image_width: 224\n  image_height: 224\n',
);
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
});
afterAll(async () => {
  await s3?.stop();
});

async function placeCompiled(job: string, target: string, body: Buffer): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: paths.compilationOutput(job, target, `model-${target}.tar.gz`), Body: body }));
}

function job(overrides: Partial<TargetJob> & Pick<TargetJob, 'compilationJob' | 'componentVersion'>): TargetJob {
  return { s3: s3.client, paths, target: 'x86_64', componentName: 'cam', manifest, stageType: 'classification', logger: silentLogger, retries: 0, ...overrides };
}

async function objectSha256(key: string): Promise<string> {
  const reply = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return createHash('sha256').update(await reply.Body!.transformToByteArray()).digest('hex');
}

async function headOf(key: string) {
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  return { etag: head.ETag, lastModified: head.LastModified?.toISOString(), bytes: head.ContentLength };
}

/** A client that records the write commands it sends, by key. */
function recordingClient(): { client: S3Client; writes: Array<{ command: string; key: string }> } {
  const client = localS3Client(s3.endpoint);
  const writes: Array<{ command: string; key: string }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      const key = (args.input as { Key?: string }).Key ?? '';
      if (/PutObject|CreateMultipartUpload|UploadPart|CompleteMultipartUpload|DeleteObject|CopyObject/.test(command)) writes.push({ command, key });
      return next(args);
    },
    { step: 'initialize', name: 'recordWrites' },
  );
  return { client, writes };
}

describe('s3rver and If-None-Match (what the tests can show)', () => {
  it('s3rver 3.7.1 ignores If-None-Match: * on PutObject: a second write replaces the object', async () => {
    const key = 'probe/if-none-match.txt';
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first', IfNoneMatch: '*' }));
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second', IfNoneMatch: '*' }));
    const reply = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    // On S3 the second PUT fails with 412 PreconditionFailed; if s3rver ever does the same, the
    // docs (docs/s3-layout.md, "Integrity") should say the tests exercise the conditional write.
    expect(await reply.Body!.transformToString()).toBe('second');
  });
});

describe('versioned, immutable artifact keys', () => {
  it('v1, v1 again (same key, same bytes, no write), then v2 (new key, v1 untouched)', async () => {
    await placeCompiled('neo-idem', 'x86_64', await compiledModelArchive('x86_64'));
    const v1Key = deploymentKey(paths, 'cam', '1.0.0', 'x86_64');
    expect(v1Key).toBe('deployments/cam/1.0.0/x86_64/cam-x86_64.zip');

    const first = await packageTarget(job({ compilationJob: 'neo-idem', componentVersion: '1.0.0' }));
    expect(first).toMatchObject({ key: v1Key, written: true, componentVersion: '1.0.0' });
    expect(first.sha256).toBe(await objectSha256(v1Key));
    expect(first.sha256Base64).toBe(Buffer.from(first.sha256, 'hex').toString('base64'));
    const digestFile = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: digestFileKey(v1Key) }));
    expect(await digestFile.Body!.transformToString()).toBe(`${first.sha256}  cam-x86_64.zip\n`);
    const v1Before = await headOf(v1Key);

    const again = recordingClient();
    try {
      const second = await packageTarget(job({ s3: again.client, compilationJob: 'neo-idem', componentVersion: '1.0.0' }));
      expect(second).toMatchObject({ key: v1Key, written: false, matchedBy: 'digest-file', sha256: first.sha256, bytes: first.bytes });
      expect(again.writes).toEqual([]);
    } finally {
      again.client.destroy();
    }
    expect(await headOf(v1Key)).toEqual(v1Before);

    const v2 = await packageTarget(job({ compilationJob: 'neo-idem', componentVersion: '1.1.0' }));
    expect(v2).toMatchObject({ key: 'deployments/cam/1.1.0/x86_64/cam-x86_64.zip', written: true });
    expect(await headOf(v1Key)).toEqual(v1Before);
    expect(await objectSha256(v1Key)).toBe(first.sha256);
  });

  it('refuses other bytes for a published version with an ArtifactConflictError naming both digests, and replaces nothing', async () => {
    await placeCompiled('neo-conflict', 'x86_64', await compiledModelArchive('x86_64'));
    const published = await packageTarget(job({ compilationJob: 'neo-conflict', componentName: 'clash', componentVersion: '2.0.0' }));
    const before = await headOf(published.key);

    // The compiled model changes, the version does not.
    await placeCompiled('neo-conflict', 'x86_64', await tarGz({ 'compiled.so': 'recompiled\n', 'compiled_model.json': '{}' }));
    const error = await packageTarget(job({ compilationJob: 'neo-conflict', componentName: 'clash', componentVersion: '2.0.0' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactConflictError);
    const conflict = error as ArtifactConflictError;
    expect(conflict.existingSha256).toBe(published.sha256);
    expect(conflict.newSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(conflict.newSha256).not.toBe(published.sha256);
    expect(conflict.message).toContain(published.sha256);
    expect(conflict.message).toContain(conflict.newSha256);
    expect(conflict.message).toContain(`s3://${BUCKET}/${published.key}`);
    expect(await headOf(published.key)).toEqual(before);
    expect(await objectSha256(published.key)).toBe(published.sha256);
  });

  it('a missing digest file (a run stopped between the two writes) is rebuilt by hashing the object', async () => {
    await placeCompiled('neo-sidecar', 'x86_64', await compiledModelArchive('x86_64'));
    const first = await packageTarget(job({ compilationJob: 'neo-sidecar', componentName: 'side', componentVersion: '1.0.0' }));
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: digestFileKey(first.key) }));
    const again = await packageTarget(job({ compilationJob: 'neo-sidecar', componentName: 'side', componentVersion: '1.0.0' }));
    expect(again).toMatchObject({ written: false, matchedBy: 'object', sha256: first.sha256 });
    const digestFile = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: digestFileKey(first.key) }));
    expect(await digestFile.Body!.transformToString()).toBe(`${first.sha256}  side-x86_64.zip\n`);
  });

  it('when another writer publishes between the HEAD and the upload, S3\'s 412 makes the run compare instead of replace', async () => {
    await placeCompiled('neo-race', 'x86_64', await compiledModelArchive('x86_64'));
    const published = await packageTarget(job({ compilationJob: 'neo-race', componentName: 'race', componentVersion: '1.0.0' }));
    const before = await headOf(published.key);

    // What S3 would answer in the race: the HEAD ran before the other writer's upload completed
    // (404), and the conditional write came after it (412). s3rver would accept the write.
    const client = localS3Client(s3.endpoint);
    let heads = 0;
    const refused: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context as { commandName?: string }).commandName ?? '';
        const input = args.input as { Key?: string; IfNoneMatch?: string };
        if (input.Key === published.key && command === 'HeadObjectCommand' && heads++ === 0) {
          throw Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
        }
        if (input.Key === published.key && /PutObject|CompleteMultipartUpload/.test(command)) {
          expect(input.IfNoneMatch).toBe('*');
          refused.push(command);
          throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'raceAnotherWriter' },
    );
    try {
      const raced = await packageTarget(job({ s3: client, compilationJob: 'neo-race', componentName: 'race', componentVersion: '1.0.0' }));
      expect(refused).toEqual(['PutObjectCommand']);
      expect(raced).toMatchObject({ written: false, sha256: published.sha256 });
    } finally {
      client.destroy();
    }
    expect(await headOf(published.key)).toEqual(before);
  });
});
