// The local stand-in for API Gateway: an HTTP server that turns POST /ingest and POST /predict
// into proxy events for the producer and consumer, answers CORS preflight, and adds a few
// /_local/ routes the demo uses to gather evidence and force cold starts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { CORS_HEADERS } from '../http/proxy-response.js';
import type { LocalFunction } from './local-function.js';
import { toProxyEvent } from './proxy-event.js';

/** API Gateway's payload limit: a bigger body gets 413 there too. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** What the server routes to. */
export interface ApiServerOptions {
  /**
   * Route to function: a bare path takes POST (`{ '/ingest': producer }`); `'GET /jobs/training/{jobName}'`
   * names the method and may end in `{name}` segments, passed as `pathParameters` as API Gateway does.
   */
  routes: Record<string, LocalFunction>;
  /** Answers GET /_local/facts. */
  facts: () => Promise<unknown>;
  /** Functions POST /_local/recycle?function=<name> may recycle. */
  functions: Record<string, LocalFunction>;
  /** Answers POST /_local/packaging: runs the packaging state machine on the JSON body, waits, and answers with the execution. */
  packagingWorkflow?: (input: unknown) => Promise<unknown>;
  /** Answers POST /_local/job-outputs: places sample job outputs at the new-layout paths (no emulator trains a model). */
  placeJobOutputs?: (input: unknown) => Promise<{ status: number; body: unknown }>;
}

/** A listening API server. */
export interface ApiServer {
  /** `http://<host>:<port>`. */
  url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', ...CORS_HEADERS, ...headers });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error(`request body over ${MAX_BODY_BYTES} bytes`), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

/** The function and path parameters of the route matching `method path`, if any. */
function matchRoute(routes: Record<string, LocalFunction>, method: string, path: string): { fn: LocalFunction | undefined; resource: string; pathParameters: Record<string, string> | null; allowed: string[] } | undefined {
  const allowed: string[] = [];
  const parts = path.split('/');
  for (const [spec, fn] of Object.entries(routes)) {
    const [routeMethod, resource] = spec.includes(' ') ? (spec.split(' ', 2) as [string, string]) : ['POST', spec];
    const pattern = resource.split('/');
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const fits = pattern.every((segment, i) => {
      const part = parts[i] ?? '';
      if (/^\{\w+\}$/.test(segment)) {
        if (part === '') return false;
        params[segment.slice(1, -1)] = decodeURIComponent(part);
        return true;
      }
      return segment === part;
    });
    if (!fits) continue;
    if (routeMethod !== method) {
      allowed.push(routeMethod);
      continue;
    }
    return { fn, resource, pathParameters: Object.keys(params).length > 0 ? params : null, allowed };
  }
  return allowed.length > 0 ? { fn: undefined, resource: path, pathParameters: null, allowed } : undefined;
}

function singleValueHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  return headers;
}

async function route(options: ApiServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://local');
  const method = request.method ?? 'GET';
  if (method === 'OPTIONS') return send(response, 204, undefined);
  if (method === 'GET' && url.pathname === '/_local/facts') return send(response, 200, await options.facts());
  if (method === 'POST' && url.pathname === '/_local/recycle') {
    const name = url.searchParams.get('function') ?? '';
    const fn = options.functions[name];
    if (!fn) return send(response, 404, { error: 'NOT_FOUND', message: `no function ${JSON.stringify(name)}; known: ${Object.keys(options.functions).join(', ')}` });
    fn.recycle();
    return send(response, 200, { recycled: name });
  }
  if (method === 'POST' && url.pathname === '/_local/packaging' && options.packagingWorkflow) {
    const text = await readBody(request);
    let input: unknown;
    try {
      input = JSON.parse(text ?? '');
    } catch {
      return send(response, 400, { error: 'BAD_REQUEST', message: 'send the packaging event as a JSON object' });
    }
    return send(response, 200, await options.packagingWorkflow(input));
  }
  if (method === 'POST' && url.pathname === '/_local/job-outputs' && options.placeJobOutputs) {
    let input: unknown;
    try {
      input = JSON.parse((await readBody(request)) ?? '');
    } catch {
      return send(response, 400, { error: 'BAD_REQUEST', message: 'send { "trainingJob", "compilationJob", "targets": [...] } as JSON' });
    }
    const placed = await options.placeJobOutputs(input);
    return send(response, placed.status, placed.body);
  }
  const matched = matchRoute(options.routes, method, url.pathname);
  if (!matched) return send(response, 404, { error: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` });
  if (!matched.fn) {
    return send(response, 405, { error: 'METHOD_NOT_ALLOWED', message: `${url.pathname} takes ${matched.allowed.join(', ')}` }, { Allow: ['OPTIONS', ...matched.allowed].join(', ') });
  }
  const { fn } = matched;
  const requestId = randomUUID();
  const event = toProxyEvent({
    method,
    path: url.pathname,
    query: url.search.slice(1),
    headers: singleValueHeaders(request),
    body: await readBody(request),
    sourceIp: request.socket.remoteAddress,
    requestId,
  });
  event.resource = matched.resource;
  event.requestContext.resourcePath = matched.resource;
  event.pathParameters = matched.pathParameters;
  const invocation = await fn.invoke<APIGatewayProxyResult>(event);
  const { result } = invocation;
  const headers: Record<string, string> = {
    'X-Local-Function': fn.name,
    'X-Local-Request-Id': invocation.requestId,
    'X-Local-Cold-Start': String(invocation.coldStart),
    'X-Local-Init-Ms': invocation.initMs.toFixed(1),
    'X-Local-Duration-Ms': invocation.durationMs.toFixed(1),
  };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  response.writeHead(result.statusCode, headers);
  response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

/** Starts the server on `host`:`port` (port 0 picks a free one). */
export async function startApiServer(options: ApiServerOptions, host: string, port: number): Promise<ApiServer> {
  const server: Server = createServer((request, response) => {
    route(options, request, response).catch((error: unknown) => {
      const status = (error as { status?: number }).status ?? 502;
      // API Gateway answers 502 when the integration itself fails.
      if (!response.headersSent) send(response, status, { error: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INTEGRATION_ERROR', message: (error as Error).message });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
