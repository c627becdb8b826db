// A zip in S3 (s3rver on loopback), read with ranged GETs: listing fetches a small fraction of
// the object, and a selective extraction fetches little more than the selected entries.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamingExtractor } from '../../src/extract/index.js';
import { s3RandomAccessSource } from '../../src/s3/index.js';
import { KiB, MiB } from '../../src/units.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';
import { buildZip } from '../extract/support/build-archives.js';

let s3: LocalS3;
let root: string;
const shards = Array.from({ length: 6 }, (_, i) => ({ name: `compiled.params.${i}`, body: randomBytes(1 * MiB) }));
const config = { name: 'config/model.json', body: '{"input":[1,3,224,224]}' };
let zipBytes = 0;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket('models');
  const zip = await buildZip([...shards, config, ...Array.from({ length: 50 }, (_, i) => ({ name: `labels/${i}.txt`, body: `label ${i}` }))], { compress: false });
  zipBytes = zip.length;
  await s3.client.send(new PutObjectCommand({ Bucket: 'models', Key: 'neo/model.zip', Body: zip }));
  root = await mkdtemp(join(tmpdir(), 'ssa-s3zip-'));
});
afterAll(async () => {
  await s3?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('s3RandomAccessSource', () => {
  it('lists a zip in S3 from its central directory alone', async () => {
    const source = await s3RandomAccessSource({ client: s3.client, bucket: 'models', key: 'neo/model.zip' });
    const info = await new StreamingExtractor().getArchiveInfo(source);
    expect(info.entryCount).toBe(57);
    expect(info.totalBytes).toBe(6 * MiB + config.body.length + info.entries.filter((e) => e.path.startsWith('labels/')).reduce((s, e) => s + e.size, 0));
    expect(source.size).toBe(zipBytes);
    // Head bytes for detection + the end record + the central directory: a few KiB of 6 MiB.
    expect(source.bytesFetched).toBeLessThan(16 * KiB);
    expect(source.bytesFetched).toBeLessThan(zipBytes / 100);
  });

  it('extracts selected entries without downloading the rest', async () => {
    const source = await s3RandomAccessSource({ client: s3.client, bucket: 'models', key: 'neo/model.zip' });
    const out = join(root, 'selected');
    const result = await new StreamingExtractor().extractSelective(source, out, ['config/*.json', 'compiled.params.2']);
    expect(result.files).toBe(2);
    expect(await readFile(join(out, 'config/model.json'), 'utf8')).toBe(config.body);
    expect((await readFile(join(out, 'compiled.params.2'))).equals(shards[2]?.body as Buffer)).toBe(true);
    // One 1 MiB shard plus headers, of a 6 MiB object.
    expect(source.bytesFetched).toBeLessThan(1 * MiB + 64 * KiB);
  });
});
