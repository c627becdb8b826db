// A minimal client for the two endpoints, timing each call from the caller's side.

/** One timed call. */
export interface TimedReply<T = Record<string, unknown>> {
  /** HTTP status. */
  status: number;
  /** Parsed JSON body. */
  body: T;
  /** Round-trip time seen by the client, in milliseconds. */
  latencyMs: number;
  /** Response headers (lower-case names). */
  headers: Record<string, string>;
}

/** Joins a base URL (API Gateway stage URLs end in `/prod/`) and a route. */
export function routeUrl(endpoint: string, route: string): string {
  return new URL(route.replace(/^\//, ''), endpoint.endsWith('/') ? endpoint : `${endpoint}/`).href;
}

/** POSTs `body` as JSON and times the round trip. */
export async function postJson<T = Record<string, unknown>>(endpoint: string, route: string, body: unknown): Promise<TimedReply<T>> {
  const started = performance.now();
  const response = await fetch(routeUrl(endpoint, route), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  const latencyMs = performance.now() - started;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${route} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body: parsed as T, latencyMs, headers: Object.fromEntries(response.headers) };
}

/** True for endpoints on this machine (the local mode). */
export function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
