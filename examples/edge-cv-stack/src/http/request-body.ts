// Turns an API Gateway proxy event body into a plain object, or a 400 that says what was wrong.
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A request the API refuses with 400; the message goes back to the caller as is. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

/** Parses the JSON object in `event.body` (base64-decoded first when API Gateway encoded it). */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Record<string, unknown> {
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new BadRequestError('request body is empty: send a JSON object');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`request body is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestError('request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Reads an optional string field; a present non-string is a 400. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequestError(`"${field}" must be a string, got ${typeof value}`);
  if (value === '') throw new BadRequestError(`"${field}" must not be empty`);
  return value;
}

/** Reads a required string field; absent, empty or not a string is a 400. */
export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw new BadRequestError(`missing required field "${field}"`);
  return value;
}

/** Reads an optional boolean field; a present non-boolean is a 400. */
export function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new BadRequestError(`"${field}" must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
