// What API Gateway (REST API, Lambda proxy integration) hands a function, built from a plain
// HTTP request, and the Lambda context object: the local mode invokes handlers with these.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** The parts of an HTTP request a proxy event carries. */
export interface HttpRequestParts {
  /** HTTP method. */
  method: string;
  /** Path without the query string, e.g. `/ingest`. */
  path: string;
  /** Raw query string without `?`, or empty. */
  query?: string;
  /** Request headers (single values). */
  headers?: Record<string, string>;
  /** Request body as text, or null. */
  body: string | null;
  /** Client address. */
  sourceIp?: string;
  /** Request id; a fresh UUID by default. */
  requestId?: string;
}

/** An `APIGatewayProxyEvent` for a request, shaped as REST API stage `local` would send it. */
export function toProxyEvent(request: HttpRequestParts): APIGatewayProxyEvent {
  const headers = request.headers ?? {};
  const query = new URLSearchParams(request.query ?? '');
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of query) {
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const requestId = request.requestId ?? randomUUID();
  const now = new Date();
  return {
    resource: request.path,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query.size > 0 ? queryStringParameters : null,
    multiValueQueryStringParameters: query.size > 0 ? multiValueQueryStringParameters : null,
    pathParameters: null,
    stageVariables: null,
    body: request.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/local${request.path}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: request.path,
    },
  };
}

/** A Lambda `Context` for one invocation of `functionName`. */
export function lambdaContext(functionName: string, options: { requestId?: string; timeoutMs?: number; memoryMb?: number } = {}): Context {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const requestId = options.requestId ?? randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 1024),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
