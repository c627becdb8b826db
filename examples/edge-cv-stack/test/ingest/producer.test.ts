import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileIdForKey } from '../../src/efs/model-key.js';
import type { IngestResponse } from '../../src/ingest/producer-handler.js';
import { BUCKET, objectCreated, startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { generatedSha256, generatedStream } from '../support/generated-bytes.js';

type Ingested = IngestResponse;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api.stop();
});

describe('producer: POST /ingest', () => {
  it('creates models/, inputs/ and outputs/ under the mount on first use', async () => {
    const reply = await api.ingest({ data: Buffer.from('first').toString('base64'), key: 'schema/first.bin' });
    expect(reply.status).toBe(201);
    for (const dir of ['models', 'inputs', 'outputs']) expect((await stat(join(api.mount, dir))).isDirectory()).toBe(true);
  });

  it('stores a base64 payload under its SHA-256 when no key is given, and returns fileId and path', async () => {
    const data = Buffer.from('raw payload bytes \u00e9\u0000\u00ff', 'utf8');
    const reply = await api.ingest<Ingested>({ data: data.toString('base64') });
    expect(reply.status).toBe(201);
    expect(reply.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(reply.body.key).toBe(sha256(data));
    expect(reply.body.path).toBe(join(api.mount, 'models', sha256(data)));
    expect(reply.body.fileId).toBe(fileIdForKey(sha256(data)));
    expect(reply.body.sha256).toBe(sha256(data));
    expect(await readFile(reply.body.path)).toEqual(data);
  });

  it('stores { data, key } as models/<key>', async () => {
    const data = Buffer.from([1, 2, 3, 4, 5]);
    const reply = await api.ingest<Ingested>({ data: data.toString('base64'), key: 'detector/v1/weights.bin' });
    expect(reply.status).toBe(201);
    expect(reply.body.path).toBe(join(api.mount, 'models/detector/v1/weights.bin'));
    expect(await readFile(reply.body.path)).toEqual(data);
  });

  it('keys freshness on the bytes, not the name: the same payload again writes nothing, other bytes replace the file', async () => {
    const first = await api.ingest<Ingested>({ data: Buffer.from('one').toString('base64'), key: 'idem/model.bin' });
    const record = await readFile(join(api.mount, 'inputs', `${first.body.fileId}.json`), 'utf8');
    const again = await api.ingest<Ingested>({ data: Buffer.from('one').toString('base64'), key: 'idem/model.bin' });
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, fileId: first.body.fileId, sha256: sha256(Buffer.from('one')) });
    expect(await readFile(join(api.mount, 'inputs', `${first.body.fileId}.json`), 'utf8')).toBe(record);

    const other = await api.ingest<Ingested>({ data: Buffer.from('two').toString('base64'), key: 'idem/model.bin' });
    expect(other.status).toBe(201);
    expect(other.body).toMatchObject({ created: true, replaced: true, fileId: first.body.fileId, sha256: sha256(Buffer.from('two')) });
    expect(await readFile(first.body.path, 'utf8')).toBe('two');
    expect(JSON.parse(await readFile(join(api.mount, 'inputs', `${first.body.fileId}.json`), 'utf8'))).toMatchObject({ sha256: sha256(Buffer.from('two')), bytes: 3 });
  });

  it('copies { key } from s3://<bucket>/models/<key>, twice with the same fileId', async () => {
    const body = Buffer.from('weights from S3');
    await api.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'models/s3/model.bin', Body: body }));
    const first = await api.ingest<Ingested>({ key: 's3/model.bin' });
    const second = await api.ingest<Ingested>({ key: 's3/model.bin' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.fileId).toBe(first.body.fileId);
    expect(first.body.path).toBe(join(api.mount, 'models/s3/model.bin'));
    expect(await readFile(first.body.path)).toEqual(body);
    const record = JSON.parse(await readFile(join(api.mount, 'inputs', `${first.body.fileId}.json`), 'utf8'));
    expect(record).toMatchObject({ key: 's3/model.bin', source: 's3', bytes: body.length, sha256: sha256(body) });
  });

  it('keys an S3 copy on the object\'s ETag: unchanged, nothing is copied; overwritten, the new bytes reach EFS', async () => {
    const key = 'models/fresh/model.bin';
    const v1 = Buffer.from('weights, version one');
    const v2 = Buffer.from('weights, version two, longer');
    const put1 = await api.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: v1 }));
    const first = await api.ingest<Ingested>({ key: 'fresh/model.bin' });
    expect(first.status).toBe(201);
    const recordPath = join(api.mount, 'inputs', `${first.body.fileId}.json`);
    expect(JSON.parse(await readFile(recordPath, 'utf8'))).toMatchObject({ etag: put1.ETag, sha256: sha256(v1) });

    const unchanged = await api.ingest<Ingested>({ key: 'fresh/model.bin' });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.created).toBe(false);

    // The same name, new bytes: a copy keyed on the name would stay stale here.
    const put2 = await api.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: v2 }));
    expect(put2.ETag).not.toBe(put1.ETag);
    const refreshed = await api.ingest<Ingested>({ key: 'fresh/model.bin' });
    expect(refreshed.status).toBe(201);
    expect(refreshed.body).toMatchObject({ created: true, replaced: true, fileId: first.body.fileId, bytes: v2.length, sha256: sha256(v2) });
    expect(await readFile(join(api.mount, key))).toEqual(v2);
    expect(JSON.parse(await readFile(recordPath, 'utf8'))).toMatchObject({ etag: put2.ETag, sha256: sha256(v2), bytes: v2.length });
    // The consumer reads, and verifies, the new bytes.
    const predicted = await api.predict<{ result: { model: { sha256: string } } }>({ fileId: first.body.fileId, archive: false });
    expect(predicted.status).toBe(200);
    expect(predicted.body.result.model.sha256).toBe(sha256(v2));
  });

  it('answers 404 NOT_FOUND when the S3 object is missing', async () => {
    const reply = await api.ingest({ key: 'nowhere/model.bin' });
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ error: 'NOT_FOUND', key: 'nowhere/model.bin' });
  });

  it.each([
    ['invalid JSON', '{"key": ', /not valid JSON/],
    ['an array', '[1,2]', /JSON object/],
    ['neither key nor data', { model: 'x' }, /send \{ "key"/],
    ['a key escaping models/', { key: '../etc/passwd' }, /must not start with "\."/],
    ['a key with an empty segment', { key: 'a//b' }, /"\/\/"/],
    ['data that is not base64', { data: 'not base64!' }, /base64/],
    ['data of another type', { data: 42 }, /base64 string/],
  ])('answers 400 with a message for %s', async (_name, body, message) => {
    const reply = await api.ingest<{ error: string; message: string }>(body);
    expect(reply.status).toBe(400);
    expect(reply.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(reply.body.error).toBe('BAD_REQUEST');
    expect(reply.body.message).toMatch(message);
  });

  it('logs requestId, fileId and stage "write" and answers 500 when the mount is missing', async () => {
    const before = api.lines.length;
    const reply = await api.ingest({ data: Buffer.from('x').toString('base64'), key: 'lost/model.bin' }, join(api.mount, 'not-mounted'));
    expect(reply.status).toBe(500);
    expect(reply.body).toMatchObject({ error: 'EFS_UNAVAILABLE', fileId: fileIdForKey('lost/model.bin'), stage: 'write' });
    const line = api.logs().slice(before).find((l) => l.level === 'error');
    expect(line).toMatchObject({ stage: 'write', fileId: fileIdForKey('lost/model.bin'), service: 'producer' });
    expect(typeof line?.requestId).toBe('string');
    expect(line?.requestId).not.toBe('');
  });
});

describe('producer: S3 ObjectCreated on models/', () => {
  it('decodes the key (+ is a space, %2B is a plus) and copies the object', async () => {
    const key = 'models/my model+v1 (final).bin';
    await api.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'event body' }));
    const encoded = 'models/my+model%2Bv1+%28final%29.bin';
    const result = (await api.s3Event(objectCreated(BUCKET, encoded, 10))) as { ingested: Ingested[] };
    expect(result.ingested).toHaveLength(1);
    expect(result.ingested[0]?.path).toBe(join(api.mount, 'models/my model+v1 (final).bin'));
    expect(await readFile(join(api.mount, 'models/my model+v1 (final).bin'), 'utf8')).toBe('event body');
  });

  it('an overwrite announced by ObjectCreated replaces the copy on EFS', async () => {
    const key = 'models/evented/model.bin';
    await api.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first upload' }));
    const first = (await api.s3Event(objectCreated(BUCKET, key, 12))) as { ingested: Ingested[] };
    expect(first.ingested[0]).toMatchObject({ created: true });
    await api.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second upload, other bytes' }));
    const second = (await api.s3Event(objectCreated(BUCKET, key, 26))) as { ingested: Ingested[] };
    expect(second.ingested[0]).toMatchObject({ created: true, replaced: true, sha256: sha256(Buffer.from('second upload, other bytes')) });
    expect(await readFile(join(api.mount, key), 'utf8')).toBe('second upload, other bytes');
    // The same event delivered twice (S3 delivers at least once) copies nothing the second time.
    const duplicate = (await api.s3Event(objectCreated(BUCKET, key, 26))) as { ingested: Ingested[] };
    expect(duplicate.ingested[0]).toMatchObject({ created: false });
  });

  it('ignores keys outside models/ and folder placeholders', async () => {
    const result = (await api.s3Event(objectCreated(BUCKET, 'inputs/x.bin', 1))) as { ingested: Ingested[] };
    const folder = (await api.s3Event(objectCreated(BUCKET, 'models/folder/', 0))) as { ingested: Ingested[] };
    expect(result.ingested).toEqual([]);
    expect(folder.ingested).toEqual([]);
  });

  it('throws (so Lambda retries) when the object cannot be copied', async () => {
    await expect(api.s3Event(objectCreated(BUCKET, 'models/vanished.bin', 1))).rejects.toThrow(/could not ingest 1 object/);
  });

  it('streams a multi-part object to the mount and never shows readers a partial file', async () => {
    const size = 48 * 1024 * 1024 + 13;
    const key = 'models/large/stream.bin';
    await new Upload({ client: api.s3.client, params: { Bucket: BUCKET, Key: key, Body: generatedStream(size, 7) }, partSize: 8 * 1024 * 1024 }).done();
    const target = join(api.mount, key);
    const fileId = fileIdForKey('large/stream.bin');
    const seenSizes = new Set<number>();
    const predictStatuses = new Set<number>();
    let done = false;
    const watcher = (async () => {
      while (!done) {
        try {
          seenSizes.add((await stat(target)).size);
        } catch (error) {
          expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
        }
        const reply = await api.predict<{ result?: { input: { bytes: number } } }>({ fileId, archive: false });
        predictStatuses.add(reply.status);
        if (reply.status === 200) expect(reply.body.result?.input.bytes).toBe(size);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const result = (await api.s3Event(objectCreated(BUCKET, key, size))) as { ingested: Ingested[] };
    done = true;
    await watcher;
    expect(result.ingested[0]).toMatchObject({ bytes: size, sha256: await generatedSha256(size, 7) });
    expect([...seenSizes].every((s) => s === size)).toBe(true);
    expect(predictStatuses.has(404)).toBe(true);
    const leftovers = (await readdir(join(api.mount, 'models/large'))).filter((name) => name.startsWith('.'));
    expect(leftovers).toEqual([]);
  });
});

describe.runIf(process.env.EDGE_CV_LARGE_TESTS === '1')('producer: 1 GiB (EDGE_CV_LARGE_TESTS=1)', () => {
  it('copies a 1 GiB object with flat memory', async () => {
    const size = 1024 * 1024 * 1024;
    const key = 'models/large/one-gib.bin';
    await new Upload({ client: api.s3.client, params: { Bucket: BUCKET, Key: key, Body: generatedStream(size, 3) }, partSize: 64 * 1024 * 1024, queueSize: 2 }).done();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const started = Date.now();
    const result = (await api.s3Event(objectCreated(BUCKET, key, size))) as { ingested: Ingested[] };
    clearInterval(sampler);
    const mib = (n: number) => Math.round(n / 1048576);
    console.log(`1 GiB S3 -> EFS copy: ${Date.now() - started} ms; RSS ${mib(rssBefore)} MiB before, peak ${mib(peak)} MiB during (s3rver runs in this process too)`);
    expect(result.ingested[0]).toMatchObject({ bytes: size, sha256: await generatedSha256(size, 3) });
    expect(peak - rssBefore).toBeLessThan(256 * 1024 * 1024);
  }, 600_000);
});
