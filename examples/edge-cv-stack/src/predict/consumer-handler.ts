// The consumer Lambda: POST /predict { fileId, model? }.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { EfsLayout, EfsUnavailableError } from '../efs/efs-layout.js';
import { assertModelKey, isFileId } from '../efs/model-key.js';
import { errorResponse, jsonResponse } from '../http/proxy-response.js';
import { BadRequestError, optionalBoolean, optionalString, parseJsonBody, requiredString } from '../http/request-body.js';
import { createFunctionLogger, type LineWriter } from '../observe/function-logger.js';
import { emitMetrics } from '../observe/emf.js';
import { DigestMismatchError, FileNotFoundOnMountError, predict, UnverifiedModelError, type PredictionResult } from './predict.js';

/** What the consumer needs; `consumerOptionsFromEnv` builds it from the Lambda environment. */
export interface ConsumerOptions {
  /** The EFS mount point (`EFS_MOUNT_PATH`, default `/mnt/efs`). */
  mountPath: string;
  /** The bucket results are archived to (`BUCKET_NAME`); no archive when absent. */
  bucket?: string;
  /** The S3 client; created on first use when absent. */
  s3?: () => S3Client;
  /** Service name on log lines and metrics. */
  service: string;
  /** Where log and metric lines go (default stdout). */
  write?: LineWriter;
}

/** The body of a successful /predict. */
export interface PredictResponse {
  /** The file identifier. */
  fileId: string;
  /** Where the result was written on the mount (`outputs/<fileId>.result`). */
  efsPath: string;
  /** The S3 key the result was archived to, when it was. */
  s3Key?: string;
  /** Why archiving failed, when it did (the result on EFS is still good). */
  archiveError?: string;
  /** Time spent in the handler, in milliseconds. */
  durationMs: number;
  /** True on the first invocation of this function instance (a cold start). */
  coldStart: boolean;
  /** The model key the computation ran over. */
  model: string;
  /** The result document (also the content of `efsPath`). */
  result: PredictionResult;
}

/** Builds the consumer handler; the exported Lambda handler calls this with the environment. */
export function createConsumerHandler(options: ConsumerOptions) {
  const layout = new EfsLayout(options.mountPath);
  let s3: S3Client | undefined;
  const baseLogger = createFunctionLogger(options.service, options.write);
  let invocations = 0;

  async function archive(fileId: string, efsPath: string): Promise<string> {
    if (!options.s3) throw new Error('no S3 client configured');
    s3 ??= options.s3();
    const key = `outputs/${fileId}.result`;
    // The result is a few hundred bytes: read back what was published rather than re-serialise.
    await s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: await readFile(efsPath), ContentType: 'application/json' }));
    return key;
  }

  return async function consumerHandler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
    const started = Date.now();
    const coldStart = invocations++ === 0;
    const logger = baseLogger.child({ requestId: context.awsRequestId, apiRequestId: event.requestContext?.requestId, coldStart });
    let fileId: string | null = null;
    let model: string | undefined;
    let wantsArchive: boolean | undefined;
    try {
      const body = parseJsonBody(event);
      fileId = requiredString(body, 'fileId');
      model = optionalString(body, 'model');
      if (model !== undefined) assertModelKey(model, 'model');
      wantsArchive = optionalBoolean(body, 'archive');
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      logger.warn('rejected predict request', { stage: 'parse', fileId, reason: error.message });
      return errorResponse(400, 'BAD_REQUEST', error.message);
    }
    // An id of another shape was never issued by the producer, so it cannot be on the mount.
    if (!isFileId(fileId)) return notFound(fileId, undefined);

    try {
      await layout.ensureSchema();
      const { result, efsPath } = await predict(layout, fileId, model);
      const response: PredictResponse = { fileId, efsPath, durationMs: 0, coldStart, model: result.model.key, result };
      if (options.bucket && wantsArchive !== false) {
        try {
          response.s3Key = await archive(fileId, efsPath);
        } catch (error) {
          response.archiveError = (error as Error).message;
          logger.warn('archiving the result to S3 failed', { stage: 'archive', fileId, error });
        }
      }
      response.durationMs = Date.now() - started;
      logger.info('predicted', { fileId, model: result.model.key, bytes: result.model.bytes, sha256: result.model.sha256, s3Key: response.s3Key, durationMs: response.durationMs });
      emitMetrics(options.service, { PredictDuration: { value: response.durationMs, unit: 'Milliseconds' }, PredictBytes: { value: result.model.bytes, unit: 'Bytes' } }, { fileId }, options.write);
      return jsonResponse(200, response);
    } catch (error) {
      if (error instanceof FileNotFoundOnMountError) return notFound(fileId, error.model);
      if (error instanceof DigestMismatchError) {
        logger.error('digest mismatch: file refused', { stage: 'verify', fileId, key: error.key, expectedSha256: error.expectedSha256, actualSha256: error.actualSha256 });
        emitMetrics(options.service, { PredictDigestMismatches: { value: 1, unit: 'Count' } }, { fileId }, options.write);
        return errorResponse(409, 'DIGEST_MISMATCH', error.message, { fileId, key: error.key, expectedSha256: error.expectedSha256, actualSha256: error.actualSha256 });
      }
      if (error instanceof UnverifiedModelError) {
        logger.warn('model without ingest record refused', { stage: 'verify', fileId, model: error.model });
        return errorResponse(409, 'UNVERIFIED_MODEL', error.message, { fileId, model: error.model });
      }
      logger.error(error instanceof EfsUnavailableError ? 'EFS mount unavailable' : 'predict failed', { stage: 'read', fileId, model, error });
      emitMetrics(options.service, { PredictFailures: { value: 1, unit: 'Count' } }, { fileId }, options.write);
      const code = error instanceof EfsUnavailableError ? 'EFS_UNAVAILABLE' : 'INTERNAL';
      return errorResponse(500, code, (error as Error).message, { fileId });
    }

    function notFound(id: string, missingModel: string | undefined): APIGatewayProxyResult {
      logger.warn('not found', { stage: 'read', fileId: id, model: missingModel });
      return jsonResponse(404, {
        error: 'NOT_FOUND',
        fileId: id,
        ...(missingModel !== undefined ? { model: missingModel } : {}),
        message: new FileNotFoundOnMountError(id, missingModel).message,
      });
    }
  };
}
