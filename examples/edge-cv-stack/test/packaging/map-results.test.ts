// Issue 16: the report step reads what a Distributed Map's ResultWriter writes on AWS (manifest.json
// naming SUCCEEDED_n.json / FAILED_n.json, entries with Input/Output as JSON strings, per the
// Step Functions documentation), here from s3rver; the local executor's inline array gives the same rows.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3PathBuilder, StorageManager, silentLogger } from 'storage-safe-archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMapResults } from '../../src/packaging/map-results.js';
import { writePackagingReport } from '../../src/packaging/packaging-steps.js';
import { startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';

const BUCKET = 'map-results-bucket';
let s3: LocalS3;
const paths = new S3PathBuilder({ bucket: BUCKET });
const request = { trainingJob: 't1', compilationJob: 'c1', targets: ['a', 'b', 'c'], componentName: 'unet', componentVersion: '1.0.0' };
const outcome = (target: string) => ({ target, status: 'SUCCEEDED', key: `deployments/unet/${target}/unet-${target}.zip`, uri: '', bytes: 10, sha256: target.repeat(64).slice(0, 64), seconds: 1.5, componentName: `unet-${target}` });
const put = (key: string, body: unknown) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(body) }));

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  const run = 'deployments/packaging-runs/run-1';
  await put(`${run}/manifest.json`, {
    DestinationBucket: BUCKET,
    MapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:packaging/run-1:x',
    ResultFiles: { FAILED: [{ Key: `${run}/FAILED_0.json`, Size: 1 }], PENDING: [], SUCCEEDED: [{ Key: `${run}/SUCCEEDED_0.json`, Size: 1 }] },
  });
  await put(`${run}/SUCCEEDED_0.json`, [{ ExecutionArn: 'x', Input: JSON.stringify({ target: 'a' }), Output: JSON.stringify(outcome('a')), Status: 'SUCCEEDED' }]);
  await put(`${run}/FAILED_0.json`, [{ ExecutionArn: 'y', Input: JSON.stringify({ target: 'b' }), Status: 'FAILED', Error: 'Error', Cause: 'no compiled model under …' }]);
});
afterAll(async () => s3?.stop());

const deps = () => ({ s3: s3.client, paths, publisher: { createComponentVersion: async () => ({}) }, storage: new StorageManager(), logger: silentLogger });

describe('map results', () => {
  it('reads ResultWriter files: one row per requested target, failures with their cause, a missing one as MISSING', async () => {
    const report = await writePackagingReport(
      { step: 'report', request, executionName: 'exec-1', results: { ResultWriterDetails: { Bucket: BUCKET, Key: 'deployments/packaging-runs/run-1/manifest.json' } } },
      deps(),
    );
    expect(report.status).toBe('PARTIAL');
    expect(report.mapResultsUri).toBe(`s3://${BUCKET}/deployments/packaging-runs/run-1/manifest.json`);
    expect(report.targets).toEqual([
      { target: 'a', status: 'SUCCEEDED', key: 'deployments/unet/a/unet-a.zip', bytes: 10, sha256: 'a'.repeat(64), seconds: 1.5, componentName: 'unet-a' },
      { target: 'b', status: 'FAILED', error: 'Error: no compiled model under …' },
      { target: 'c', status: 'MISSING' },
    ]);
  });

  it('reads the inline array the local executor passes the same way', async () => {
    const { results } = await readMapResults([outcome('a'), outcome('c')], s3.client);
    expect(results.map((r) => [r.target, r.status])).toEqual([['a', 'SUCCEEDED'], ['c', 'SUCCEEDED']]);
  });

  it('refuses a map output of neither shape, naming what it got', async () => {
    await expect(readMapResults({ nope: 1 }, s3.client)).rejects.toThrow(/neither an array of results nor ResultWriterDetails/);
  });
});
