// s3rver on loopback, standing in for the models bucket: real HTTP, real S3 wire protocol, and
// the ObjectCreated notifications S3 would send to the producer. s3rver 3.7.1's defects (keys
// with `//`, listing order, aws-chunked bodies, no ListParts or UploadPartCopy, …) are patched at
// start by the library's test fixes (test/support/s3rver-fixes.ts, each with its own test), so
// the local mode behaves as S3 does where the packager relies on it (resuming an upload).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { encodeS3EventKey } from '../ingest/s3-event.js';
import { applyS3rverFixes } from '../../../../test/support/s3rver-fixes.js';

/** Credentials s3rver and dynalite accept; any non-empty pair works. Not frozen: the SDK tags the object it is given. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running s3rver. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** A client configured for it (path style, checksums only when required). */
  client: S3Client;
  /** Where s3rver keeps the objects. */
  directory: string;
  /** Stops the server and removes its store (unless the directory was given). */
  stop(): Promise<void>;
}

/** Options of {@link startLocalS3}. */
export interface LocalS3Options {
  /** Buckets to create at start. */
  buckets?: string[];
  /** Where to store objects; a fresh temporary directory (removed at stop) by default. */
  directory?: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Called with an S3-shaped notification (keys encoded as AWS encodes them) for every created object. */
  onObjectCreated?: (event: S3Event) => void;
}

/** A client for an S3-compatible endpoint on loopback. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...LOCAL_CREDENTIALS },
    // s3rver stores aws-chunked bodies with their framing: send checksums only when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Starts s3rver on 127.0.0.1. */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'edge-cv-s3rver-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  applyS3rverFixes(server as unknown as Parameters<typeof applyS3rverFixes>[0]); // s3rver types omit its Koa internals
  if (options.onObjectCreated) {
    const notify = options.onObjectCreated;
    server.on('event', (event: S3Event) => {
      const record = event.Records[0];
      if (!record?.eventName.startsWith('ObjectCreated:')) return;
      // s3rver puts the raw key in the event; S3 sends it form-encoded, which the producer decodes.
      record.s3.object.key = encodeS3EventKey(record.s3.object.key);
      record.eventSource = 'aws:s3';
      notify(event);
    });
  }
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = localS3Client(endpoint);
  return {
    endpoint,
    client,
    directory,
    async stop() {
      client.destroy();
      server.httpServer?.closeAllConnections();
      await server.close();
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}
