// The producer Lambda: POST /ingest and S3 ObjectCreated on models/.
// Parse, call ingest, shape the response; the file work is in ingest.ts.
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, S3Event } from 'aws-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { isStorageError, type JsonLogger } from 'storage-safe-archive';
import { EfsLayout, EfsUnavailableError } from '../efs/efs-layout.js';
import { assertModelKey, fileIdForKey } from '../efs/model-key.js';
import { errorResponse, jsonResponse } from '../http/proxy-response.js';
import { BadRequestError, optionalString, parseJsonBody } from '../http/request-body.js';
import { createFunctionLogger, type LineWriter } from '../observe/function-logger.js';
import { emitMetrics } from '../observe/emf.js';
import { ingestData, ingestFromS3, ModelObjectNotFoundError, type IngestOutcome } from './ingest.js';
import { announcedModels, isS3Event } from './s3-event.js';

/** What the producer needs; `producerOptionsFromEnv` builds it from the Lambda environment. */
export interface ProducerOptions {
  /** The EFS mount point (`EFS_MOUNT_PATH`, default `/mnt/efs`). */
  mountPath: string;
  /** The models bucket (`BUCKET_NAME`); needed for `{ key }` requests and S3 events. */
  bucket?: string;
  /** The S3 client; created on first use when absent. */
  s3?: () => S3Client;
  /** Service name on log lines and metrics. */
  service: string;
  /** Where log and metric lines go (default stdout). */
  write?: LineWriter;
}

/** The body of a successful /ingest. */
export interface IngestResponse {
  /** Deterministic file identifier: same key, same id. */
  fileId: string;
  /** Absolute path of the model on the mount. */
  path: string;
  /** The model key (`models/<key>`). */
  key: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the bytes on the mount. */
  sha256: string;
  /** False when the mount already held these bytes (status 200); true when this call wrote them (201). */
  created: boolean;
  /** True when this call replaced an older copy under the key (the S3 object was overwritten, or other bytes were sent). */
  replaced?: boolean;
}

type IngestRequest = { kind: 's3'; key: string } | { kind: 'data'; key: string; data: Buffer };

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function parseIngestRequest(event: APIGatewayProxyEvent): IngestRequest {
  const body = parseJsonBody(event);
  const key = optionalString(body, 'key');
  if (body.data !== undefined && body.data !== null) {
    if (typeof body.data !== 'string') throw new BadRequestError(`"data" must be a base64 string, got ${typeof body.data}`);
    const compact = body.data.replace(/\s+/g, '');
    if (!BASE64.test(compact)) throw new BadRequestError('"data" must be base64 (standard or URL-safe alphabet)');
    const data = Buffer.from(compact, 'base64');
    if (data.length === 0) throw new BadRequestError('"data" decodes to zero bytes');
    const storedAs = key ?? createHash('sha256').update(data).digest('hex');
    return { kind: 'data', key: assertModelKey(storedAs), data };
  }
  if (key === undefined) {
    throw new BadRequestError('send { "key": "<name>" } to copy s3://<bucket>/models/<name>, or { "data": "<base64>", "key"?: "<name>" }');
  }
  return { kind: 's3', key: assertModelKey(key) };
}

/** Builds the producer handler; the exported Lambda handler calls this with the environment. */
export function createProducerHandler(options: ProducerOptions) {
  const layout = new EfsLayout(options.mountPath);
  let s3: S3Client | undefined;
  const client = (): S3Client => (s3 ??= options.s3?.() ?? missingClient());
  const baseLogger = createFunctionLogger(options.service, options.write);
  let invocations = 0;
  const metrics = (values: Parameters<typeof emitMetrics>[1], properties?: Record<string, unknown>) =>
    emitMetrics(options.service, values, properties, options.write);

  function requireBucket(): string {
    if (!options.bucket) throw new Error('BUCKET_NAME is not set: the producer cannot copy from S3 without it');
    return options.bucket;
  }

  async function ingest(request: IngestRequest): Promise<IngestOutcome> {
    await layout.ensureSchema();
    return request.kind === 'data' ? ingestData(layout, request.key, request.data) : ingestFromS3(layout, client(), requireBucket(), request.key);
  }

  async function handleApi(event: APIGatewayProxyEvent, logger: JsonLogger, started: number): Promise<APIGatewayProxyResult> {
    let fileId: string | null = null;
    let request: IngestRequest;
    try {
      request = parseIngestRequest(event);
      fileId = fileIdForKey(request.key);
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      logger.warn('rejected ingest request', { stage: 'parse', fileId, reason: error.message });
      return errorResponse(400, 'BAD_REQUEST', error.message);
    }
    try {
      const { record, created, replaced } = await ingest(request);
      const durationMs = Date.now() - started;
      logger.info(created ? 'ingested' : 'already ingested', { fileId, key: record.key, bytes: record.bytes, source: request.kind, created, replaced: replaced ?? false, durationMs });
      metrics({ IngestDuration: { value: durationMs, unit: 'Milliseconds' }, ...(created ? { IngestBytes: { value: record.bytes, unit: 'Bytes' } } : {}) }, { fileId });
      const body: IngestResponse = { fileId: record.fileId, path: record.path, key: record.key, bytes: record.bytes, sha256: record.sha256, created, ...(replaced ? { replaced } : {}) };
      return jsonResponse(created ? 201 : 200, body);
    } catch (error) {
      return failure(error, logger, fileId, request.key);
    }
  }

  function failure(error: unknown, logger: JsonLogger, fileId: string | null, key: string): APIGatewayProxyResult {
    metrics({ IngestFailures: { value: 1, unit: 'Count' } }, { fileId });
    if (error instanceof ModelObjectNotFoundError) {
      logger.warn('model object not found', { stage: 'read', fileId, key, bucket: error.bucket });
      return errorResponse(404, 'NOT_FOUND', error.message, { key });
    }
    const isS3Failure = typeof (error as { $metadata?: unknown }).$metadata === 'object';
    const stage = isS3Failure ? 'read' : 'write';
    logger.error(error instanceof EfsUnavailableError ? 'EFS mount unavailable' : 'ingest failed', { stage, fileId, key, error });
    if (error instanceof EfsUnavailableError) return errorResponse(500, 'EFS_UNAVAILABLE', error.message, { fileId, stage });
    if (isStorageError(error) && error.code === 'INSUFFICIENT_STORAGE') {
      return errorResponse(507, 'INSUFFICIENT_STORAGE', error.message, { fileId, stage, details: error.toJSON() });
    }
    if (isS3Failure) return errorResponse(502, 'S3_ERROR', `reading s3://${options.bucket}/models/${key} failed: ${(error as Error).message}`, { fileId, stage });
    return errorResponse(500, 'INTERNAL', (error as Error).message, { fileId, stage });
  }

  async function handleS3(event: S3Event, logger: JsonLogger): Promise<{ ingested: IngestResponse[] }> {
    const ingested: IngestResponse[] = [];
    const failures: string[] = [];
    for (const model of announcedModels(event)) {
      const started = Date.now();
      let fileId: string | null = null;
      try {
        const key = assertModelKey(model.modelKey);
        fileId = fileIdForKey(key);
        await layout.ensureSchema();
        const { record, created, replaced } = await ingestFromS3(layout, client(), model.bucket, key);
        const durationMs = Date.now() - started;
        logger.info(created ? 'ingested from S3 event' : 'already ingested', { fileId, key, bytes: record.bytes, eventName: model.eventName, replaced: replaced ?? false, durationMs });
        metrics({ IngestDuration: { value: durationMs, unit: 'Milliseconds' }, ...(created ? { IngestBytes: { value: record.bytes, unit: 'Bytes' } } : {}) }, { fileId });
        ingested.push({ fileId: record.fileId, path: record.path, key: record.key, bytes: record.bytes, sha256: record.sha256, created, ...(replaced ? { replaced } : {}) });
      } catch (error) {
        const stage = error instanceof BadRequestError ? 'parse' : 'write';
        logger.error('S3 event ingest failed', { stage, fileId, objectKey: model.objectKey, error });
        failures.push(`${model.objectKey}: ${(error as Error).message}`);
      }
    }
    // Throwing makes Lambda retry the asynchronous invocation; ingest is idempotent, so a retry
    // copies only what is still missing.
    if (failures.length > 0) throw new Error(`could not ingest ${failures.length} object(s): ${failures.join('; ')}`);
    return { ingested };
  }

  return async function producerHandler(event: APIGatewayProxyEvent | S3Event, context: Context): Promise<APIGatewayProxyResult | { ingested: IngestResponse[] }> {
    const started = Date.now();
    const apiRequestId = (event as Partial<APIGatewayProxyEvent>).requestContext?.requestId;
    const logger = baseLogger.child({ requestId: context.awsRequestId, ...(apiRequestId ? { apiRequestId } : {}), coldStart: invocations++ === 0 });
    if (isS3Event(event)) return handleS3(event, logger);
    try {
      return await handleApi(event, logger, started);
    } catch (error) {
      logger.error('unexpected failure', { stage: 'write', fileId: null, error });
      return errorResponse(500, 'INTERNAL', (error as Error).message);
    }
  };
}

function missingClient(): never {
  throw new Error('no S3 client configured');
}
