// S3 → S3 packaging through faults, against s3rver: the compiled tarball is read with parallel
// ranged GETs (one cut mid-body, retried), and the zip's multipart upload is cut mid-part. The
// retry, in the same invocation or in the next one (as Step Functions retries a map item),
// resumes the upload from the parts S3 holds; the zip is byte-identical to a fault-free run and
// no multipart upload is left open.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3PathBuilder, silentLogger } from 'storage-safe-archive';
import pack from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDdaManifest } from '../../src/packaging/dda-manifest.js';
import { deploymentKey, packageTarget, type TargetJob } from '../../src/packaging/package-target.js';
import { LOCAL_CREDENTIALS, startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';
import { startFaultProxy, type Fault } from '../../../../test/support/fault-proxy.js';

const BUCKETS = ['resume-faulty', 'resume-clean'] as const;
const MiB = 1024 * 1024;
const manifest = buildDdaManifest(
  JSON.stringify({ model_graph: { stages: [{ type: 'detection' }] }, compilable_models: [{ filename: 'model.pt', data_input_config: { input0: [1, 3, 320, 320] }, framework: 'PYTORCH' }] }),
  'dataset:\n  image_width: 320\n  image_height: 320\n',
);
let s3: LocalS3;

/** A compiled model of 20 MiB of incompressible weights: its zip takes three 8 MiB parts. */
async function compiledTarball(): Promise<Buffer> {
  const tar = pack.pack();
  tar.entry({ name: 'compiled.params', mtime: new Date(0) }, randomBytes(20 * MiB));
  tar.entry({ name: 'compiled.json', mtime: new Date(0) }, '{"op":"conv"}');
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks), { level: 1 });
}

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [...BUCKETS] });
  const compiled = await compiledTarball();
  for (const bucket of BUCKETS) {
    const paths = new S3PathBuilder({ bucket });
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: paths.compilationOutput('neo-big', 'x86_64', 'model-x86_64.tar.gz'), Body: compiled }));
  }
});
afterAll(async () => {
  await s3?.stop();
});

/** One attempt per call: a cut fails the call, so what recovers from it is ours, not the SDK's. */
function clientFor(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}

function job(bucket: string, client: S3Client, overrides: Partial<TargetJob> = {}): TargetJob {
  return { s3: client, paths: new S3PathBuilder({ bucket }), compilationJob: 'neo-big', target: 'x86_64', componentName: 'big', componentVersion: '1.0.0', manifest, stageType: 'detection', logger: silentLogger, retries: 2, ...overrides };
}

async function objectSha256(bucket: string, key: string): Promise<string> {
  const reply = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return createHash('sha256').update(await reply.Body!.transformToByteArray()).digest('hex');
}

async function openUploads(bucket: string): Promise<number> {
  return ((await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).length;
}

/** Cuts the first ranged GET of the tarball mid-body and the first upload of part `part` mid-request. */
function faultsOnce(part: number) {
  let getCut = false;
  let partCut = false;
  return (request: { method?: string; url?: string; headers: Record<string, unknown> }): Fault => {
    const url = request.url ?? '';
    if (!getCut && request.method === 'GET' && url.includes('.tar.gz') && request.headers.range !== undefined) {
      getCut = true;
      return 'cut';
    }
    if (!partCut && request.method === 'PUT' && url.includes(`partNumber=${part}&`)) {
      partCut = true;
      return 'cut-request';
    }
    return 'pass';
  };
}

describe('S3 → S3 packaging through faults', () => {
  let cleanSha256: string;

  beforeAll(async () => {
    const clean = await packageTarget(job('resume-clean', s3.client));
    cleanSha256 = clean.sha256;
    expect(clean.upload).toMatchObject({ partsReused: 0, partsUploaded: 3, attempts: 1 });
  });

  it('a retry in the same invocation resumes the cut upload: byte-identical, nothing left open', async () => {
    const proxy = await startFaultProxy(s3.endpoint, faultsOnce(3));
    const client = clientFor(proxy.endpoint);
    try {
      const packaged = await packageTarget(job('resume-faulty', client, { componentVersion: '1.0.0' }));
      expect(proxy.injected).toMatchObject({ cut: 1, cutRequest: 1 });
      expect(packaged.upload).toMatchObject({ attempts: 2, partsReused: 2, partsUploaded: 1 });
      expect(packaged.sha256).toBe(cleanSha256);
      expect(await objectSha256('resume-faulty', packaged.key)).toBe(cleanSha256);
      expect(await openUploads('resume-faulty')).toBe(0);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('the next invocation (a Step Functions retry) finds the open upload and resumes it', async () => {
    const paths = new S3PathBuilder({ bucket: 'resume-faulty' });
    const key = deploymentKey(paths, 'big', '2.0.0', 'x86_64');
    const proxy = await startFaultProxy(s3.endpoint, faultsOnce(2));
    const client = clientFor(proxy.endpoint);
    try {
      const failed = await packageTarget(job('resume-faulty', client, { componentVersion: '2.0.0', retries: 0 })).catch((e: unknown) => e as Error);
      expect(failed).toBeInstanceOf(Error);
      // A transient failure keeps its upload, with the part sent before the cut.
      expect(await openUploads('resume-faulty')).toBe(1);
    } finally {
      client.destroy();
      await proxy.stop();
    }
    const resumed = await packageTarget(job('resume-faulty', s3.client, { componentVersion: '2.0.0', retries: 0 }));
    expect(resumed.key).toBe(key);
    expect(resumed.upload).toMatchObject({ attempts: 1, partsReused: 1, partsUploaded: 2 });
    expect(await openUploads('resume-faulty')).toBe(0);
    // v2's manifest is v1's, so its zip is too: the same bytes as the fault-free run.
    expect(await objectSha256('resume-faulty', key)).toBe(cleanSha256);
  });

  it('a failure no retry can mend (a truncated tarball) aborts the upload instead of leaving it open', async () => {
    const paths = new S3PathBuilder({ bucket: 'resume-clean' });
    const whole = await compiledTarball();
    await s3.client.send(new PutObjectCommand({ Bucket: 'resume-clean', Key: paths.compilationOutput('neo-cut', 'x86_64', 'model-x86_64.tar.gz'), Body: whole.subarray(0, Math.floor(whole.length * 0.8)) }));
    const failed = await packageTarget(job('resume-clean', s3.client, { compilationJob: 'neo-cut', retries: 1 })).catch((e: unknown) => e as Error);
    expect(failed).toMatchObject({ name: 'ExtractionError' });
    expect(await openUploads('resume-clean')).toBe(0);
  });
});
