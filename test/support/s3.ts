// Real S3-compatible and DynamoDB-compatible servers on loopback for tests: s3rver and
// dynalite, each on a free port, each in-process, each with its own temporary store.
// s3rver's known defects (`//` keys, listing order, aws-chunked bodies, copy-source decoding,
// non-atomic writes, delete races, no UploadPartCopy) are fixed at start by s3rver-fixes.ts;
// pass { fixes: false } to get s3rver exactly as shipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
// s3rver and dynalite ship no types.
// @ts-expect-error untyped module
import S3rver from 's3rver';
// @ts-expect-error untyped module
import dynalite from 'dynalite';
import { applyS3rverFixes } from './s3rver-fixes.js';

/** A running S3-compatible server and a client configured for it. */
export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Options of {@link startLocalS3}. */
export interface LocalS3Options {
  /** Apply the fixes in s3rver-fixes.ts (default true). */
  fixes?: boolean;
}

/** Starts s3rver on 127.0.0.1 with a fresh store. */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'ssa-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  if (options.fixes !== false) applyS3rverFixes(server);
  const address: AddressInfo = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    // s3rver stores aws-chunked bodies with their framing; only send checksums when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A running DynamoDB-compatible server (in memory). */
export interface LocalDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 with an in-memory store. */
export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Credentials both local servers accept. */
export const localCredentials = credentials;
