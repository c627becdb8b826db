import { createHash } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileIdForKey } from '../../src/efs/model-key.js';
import type { PredictResponse } from '../../src/predict/consumer-handler.js';
import { BUCKET, startApiHarness, type ApiHarness } from '../support/api-harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api.stop();
});

function float32Bytes(values: number[], trailing = 0): Buffer {
  const buffer = Buffer.alloc(values.length * 4 + trailing, 0xab);
  values.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer;
}

async function ingest(key: string, data: Buffer): Promise<string> {
  const reply = await api.ingest<{ fileId: string }>({ key, data: data.toString('base64') });
  expect([200, 201]).toContain(reply.status);
  return reply.body.fileId;
}

describe('consumer: POST /predict', () => {
  it('reads the ingested file, computes SHA-256, size and float32 statistics, and writes outputs/<fileId>.result', async () => {
    const data = float32Bytes([1, -2, 3.5, Number.NaN, Number.POSITIVE_INFINITY], 2);
    const fileId = await ingest('stats/model.bin', data);
    const reply = await api.predict<PredictResponse>({ fileId });
    expect(reply.status).toBe(200);
    expect(reply.headers['Access-Control-Allow-Origin']).toBe('*');
    const { body } = reply;
    expect(body.fileId).toBe(fileId);
    expect(body.efsPath).toBe(join(api.mount, 'outputs', `${fileId}.result`));
    expect(body.durationMs).toBeGreaterThanOrEqual(0);
    expect(body.result.model).toMatchObject({
      key: 'stats/model.bin',
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      float32: { count: 3, min: -2, max: 3.5, mean: 2.5 / 3, nonFinite: 2, trailingBytes: 2 },
    });
    expect(body.result.input.sha256).toBe(body.result.model.sha256);
    expect(JSON.parse(await readFile(body.efsPath, 'utf8'))).toEqual(body.result);
  });

  it('archives the result to s3://<bucket>/outputs/<fileId>.result unless told not to', async () => {
    const fileId = await ingest('archive/model.bin', float32Bytes([0.5, 0.25]));
    const archived = await api.predict<PredictResponse>({ fileId, model: 'archive/model.bin' });
    expect(archived.body.s3Key).toBe(`outputs/${fileId}.result`);
    const object = await api.s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `outputs/${fileId}.result` }));
    expect(await object.Body?.transformToString()).toBe(await readFile(archived.body.efsPath, 'utf8'));
    const notArchived = await api.predict<PredictResponse>({ fileId, archive: false });
    expect(notArchived.status).toBe(200);
    expect(notArchived.body.s3Key).toBeUndefined();
  });

  it('runs over the named model when "model" is given, and reports the input separately', async () => {
    const inputId = await ingest('pair/input.bin', Buffer.from('an input image'));
    await ingest('pair/weights.bin', float32Bytes([10, 20, 30]));
    const reply = await api.predict<PredictResponse>({ fileId: inputId, model: 'pair/weights.bin' });
    expect(reply.status).toBe(200);
    expect(reply.body.model).toBe('pair/weights.bin');
    expect(reply.body.result.model.float32).toMatchObject({ count: 3, min: 10, max: 30, mean: 20 });
    expect(reply.body.result.input).toMatchObject({ key: 'pair/input.bin', bytes: 14 });
  });

  it('answers 404 NOT_FOUND with the fileId for an unknown or malformed id, and for a missing model', async () => {
    const unknown = fileIdForKey('never/ingested.bin');
    for (const fileId of [unknown, 'no-such-file']) {
      const reply = await api.predict({ fileId });
      expect(reply.status).toBe(404);
      expect(reply.headers['Access-Control-Allow-Origin']).toBe('*');
      expect(reply.body).toMatchObject({ error: 'NOT_FOUND', fileId });
    }
    const fileId = await ingest('present/input.bin', Buffer.from('x'));
    const missingModel = await api.predict({ fileId, model: 'absent/model.bin' });
    expect(missingModel.status).toBe(404);
    expect(missingModel.body).toMatchObject({ error: 'NOT_FOUND', fileId, model: 'absent/model.bin' });
  });

  it('verifies the file against its ingest record: changed bytes on the mount are refused with 409 DIGEST_MISMATCH and no result', async () => {
    const data = float32Bytes([1, 2, 3]);
    const fileId = await ingest('tampered/model.bin', data);
    // Something other than the producer rewrites the file in place (same size, other bytes).
    const tampered = float32Bytes([1, 2, 4]);
    await writeFile(join(api.mount, 'models/tampered/model.bin'), tampered);
    const reply = await api.predict<{ error: string; expectedSha256: string; actualSha256: string; message: string }>({ fileId });
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({
      error: 'DIGEST_MISMATCH',
      expectedSha256: createHash('sha256').update(data).digest('hex'),
      actualSha256: createHash('sha256').update(tampered).digest('hex'),
    });
    expect(reply.body.message).toMatch(/ingest it again/);
    await expect(access(join(api.mount, 'outputs', `${fileId}.result`))).rejects.toThrow(/ENOENT/);
    // Ingesting the bytes again restores a file that verifies.
    await ingest('tampered/model.bin', tampered);
    expect((await api.predict({ fileId, archive: false })).status).toBe(200);
  });

  it('refuses a model that has no ingest record (copied onto the mount by hand) with 409 UNVERIFIED_MODEL', async () => {
    const fileId = await ingest('byhand/input.bin', Buffer.from('input'));
    await mkdir(join(api.mount, 'models/byhand'), { recursive: true });
    await writeFile(join(api.mount, 'models/byhand/weights.bin'), float32Bytes([5]));
    const reply = await api.predict({ fileId, model: 'byhand/weights.bin' });
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ error: 'UNVERIFIED_MODEL', model: 'byhand/weights.bin' });
  });

  it.each([
    ['invalid JSON', '{"fileId"', /not valid JSON/],
    ['an empty body', '', /empty/],
    ['a missing fileId', { model: 'm.bin' }, /missing required field "fileId"/],
    ['a numeric fileId', { fileId: 7 }, /"fileId" must be a string/],
    ['a model escaping models/', { fileId: fileIdForKey('a'), model: '../inputs/x.json' }, /"model"/],
    ['a non-boolean archive flag', { fileId: fileIdForKey('a'), archive: 'yes' }, /"archive" must be true or false/],
  ])('answers 400 with a message for %s', async (_name, body, message) => {
    const reply = await api.predict<{ error: string; message: string }>(body);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('BAD_REQUEST');
    expect(reply.body.message).toMatch(message);
  });

  it('serves 10 parallel invocations reading the same model', async () => {
    const values = Array.from({ length: 256 * 1024 }, (_, i) => Math.sin(i));
    const data = float32Bytes(values);
    const fileId = await ingest('parallel/model.bin', data);
    const replies = await Promise.all(Array.from({ length: 10 }, () => api.predict<PredictResponse>({ fileId })));
    const expected = createHash('sha256').update(data).digest('hex');
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(replies.map((r) => r.body.result.model.sha256))).toEqual(new Set([expected]));
    expect(replies.every((r) => r.body.result.model.float32.count === values.length)).toBe(true);
    const onDisk = JSON.parse(await readFile(join(api.mount, 'outputs', `${fileId}.result`), 'utf8'));
    expect(onDisk.model.sha256).toBe(expected);
  });
});
