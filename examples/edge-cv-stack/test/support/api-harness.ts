// A producer and a consumer wired to a real s3rver and a temporary folder standing in for the
// EFS mount, with their log lines captured, and helpers to call them as API Gateway would.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyResult, S3Event } from 'aws-lambda';
import { createProducerHandler } from '../../src/ingest/producer-handler.js';
import { createConsumerHandler } from '../../src/predict/consumer-handler.js';
import { startLocalS3, type LocalS3 } from '../../src/local/local-s3.js';
import { lambdaContext, toProxyEvent } from '../../src/local/proxy-event.js';

export const BUCKET = 'edge-cv-ml-models-bucket';

/** A parsed proxy response. */
export interface ApiReply<T = Record<string, unknown>> {
  status: number;
  headers: Record<string, string | number | boolean>;
  body: T;
}

export interface ApiHarness {
  mount: string;
  s3: LocalS3;
  lines: string[];
  logs(): Array<Record<string, unknown>>;
  ingest<T = Record<string, unknown>>(body: unknown, mountPath?: string): Promise<ApiReply<T>>;
  predict<T = Record<string, unknown>>(body: unknown): Promise<ApiReply<T>>;
  s3Event(event: S3Event): Promise<unknown>;
  stop(): Promise<void>;
}

function reply<T>(result: APIGatewayProxyResult): ApiReply<T> {
  return { status: result.statusCode, headers: (result.headers ?? {}) as ApiReply['headers'], body: JSON.parse(result.body) as T };
}

function rawBody(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

export async function startApiHarness(): Promise<ApiHarness> {
  const mount = await mkdtemp(join(tmpdir(), 'edge-cv-efs-'));
  const s3 = await startLocalS3({ buckets: [BUCKET] });
  const lines: string[] = [];
  const write = (line: string) => void lines.push(line);
  const producerFor = (mountPath: string) => createProducerHandler({ mountPath, bucket: BUCKET, s3: () => s3.client, service: 'producer', write });
  const producer = producerFor(mount);
  const consumer = createConsumerHandler({ mountPath: mount, bucket: BUCKET, s3: () => s3.client, service: 'consumer', write });
  return {
    mount,
    s3,
    lines,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    async ingest<T>(body: unknown, mountPath?: string) {
      const handler = mountPath ? producerFor(mountPath) : producer;
      const event = toProxyEvent({ method: 'POST', path: '/ingest', body: rawBody(body) });
      return reply<T>((await handler(event, lambdaContext('producer'))) as APIGatewayProxyResult);
    },
    async predict<T>(body: unknown) {
      const event = toProxyEvent({ method: 'POST', path: '/predict', body: rawBody(body) });
      return reply<T>(await consumer(event, lambdaContext('consumer')));
    },
    s3Event: (event) => producer(event, lambdaContext('producer')),
    async stop() {
      await s3.stop();
      await rm(mount, { recursive: true, force: true });
    },
  };
}

/** An S3 ObjectCreated:Put notification for one key, encoded as S3 encodes it. */
export function objectCreated(bucket: string, encodedKey: string, size: number): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'models',
          bucket: { name: bucket, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodedKey, size, eTag: '', sequencer: '0' },
        },
      },
    ],
  };
}
