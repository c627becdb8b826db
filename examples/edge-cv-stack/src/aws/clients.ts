// AWS SDK clients for the handlers. The SDK reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB
// by itself; when an S3 endpoint is set (local mode, s3rver) we also need path-style addressing,
// and checksums only when required, because s3rver stores aws-chunked bodies with their framing.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** True when the environment points S3 at a non-AWS endpoint. */
export function hasCustomS3Endpoint(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
}

/** The S3 client configuration for this environment. */
export function s3ClientConfig(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  if (!hasCustomS3Endpoint(env)) return {};
  return { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' };
}

/** An S3 client for this environment. */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client(s3ClientConfig(env));
}

/** A DynamoDB document client for this environment (endpoint from AWS_ENDPOINT_URL_DYNAMODB). */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
}
