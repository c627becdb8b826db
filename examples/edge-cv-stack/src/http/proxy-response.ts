// Lambda proxy integration responses. API Gateway passes these through as they are, so the CORS
// header has to be on every one of them, errors included.
import type { APIGatewayProxyResult } from 'aws-lambda';

/** Headers every API response carries: JSON, and CORS open to any origin for browser testing. */
export const CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token',
  'Access-Control-Allow-Methods': 'OPTIONS,GET,POST',
});

/** A proxy-integration response with a JSON body and the CORS headers. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...CORS_HEADERS },
    body: JSON.stringify(body),
  };
}

/** The error codes the API answers with, one per kind of failure a caller can act on. */
export type ApiErrorCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'DIGEST_MISMATCH'
  | 'UNVERIFIED_MODEL'
  | 'SAGEMAKER_ERROR'
  | 'EFS_UNAVAILABLE'
  | 'INSUFFICIENT_STORAGE'
  | 'S3_ERROR'
  | 'INTERNAL';

/** A JSON error response: `{ error, message, ...fields }`. */
export function errorResponse(
  statusCode: number,
  error: ApiErrorCode,
  message: string,
  fields: Record<string, unknown> = {},
): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error, message, ...fields });
}
