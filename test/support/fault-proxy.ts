// An HTTP proxy on loopback between an S3 client and s3rver that misbehaves on purpose, as a
// real network and a busy S3 do: it cuts a response's connection part-way through the body, cuts
// a request's upload part-way through its body, or answers 503 SlowDown, for the requests a rule
// picks. Everything else passes through untouched.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault = 'pass' | 'cut' | 'cut-request' | 'throttle';

/** A running proxy. */
export interface FaultProxy {
  /** The URL to give the S3 client as its endpoint. */
  endpoint: string;
  /** Faults injected so far, by kind. */
  readonly injected: { cut: number; cutRequest: number; throttle: number };
  /** Requests seen so far (method and path with query). */
  readonly seen: string[];
  /** The most requests that were open at once. */
  readonly maxInFlight: number;
  stop(): Promise<void>;
}

const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** Starts a proxy to `target` whose `rule` decides each request's fate (`n` counts requests from 0). */
export async function startFaultProxy(target: string, rule: (request: IncomingMessage, n: number) => Fault): Promise<FaultProxy> {
  const upstream = new URL(target);
  const injected = { cut: 0, cutRequest: 0, throttle: 0 };
  const seen: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const n = seen.length;
    seen.push(`${incoming.method} ${incoming.url}`);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    outgoing.once('close', () => inFlight--);
    const fault = rule(incoming, n);
    if (fault === 'throttle') {
      injected.throttle++;
      incoming.resume();
      outgoing.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(SLOW_DOWN) });
      outgoing.end(SLOW_DOWN);
      return;
    }
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        if (fault !== 'cut') {
          response.pipe(outgoing);
          return;
        }
        // Half the body (at least one byte, if there is one), then the connection drops.
        const length = Number(response.headers['content-length'] ?? 0);
        let sent = 0;
        injected.cut++;
        response.on('data', (chunk: Buffer) => {
          const room = Math.max(1, Math.floor(length / 2)) - sent;
          if (room > 0) outgoing.write(chunk.subarray(0, room));
          sent += Math.min(room, chunk.length);
          if (sent >= Math.max(1, Math.floor(length / 2))) {
            response.destroy();
            outgoing.socket?.destroy();
          }
        });
      },
    );
    forwarded.on('error', () => outgoing.socket?.destroy());
    if (fault !== 'cut-request') {
      incoming.pipe(forwarded);
      return;
    }
    // Half the request body reaches the server, then both connections drop: an upload cut
    // mid-part, as a lost network leaves it.
    injected.cutRequest++;
    const half = Math.max(1, Math.floor(Number(incoming.headers['content-length'] ?? 0) / 2));
    let forwardedBytes = 0;
    incoming.on('data', (chunk: Buffer) => {
      const room = half - forwardedBytes;
      if (room > 0) forwarded.write(chunk.subarray(0, room));
      forwardedBytes += Math.min(room, chunk.length);
      if (forwardedBytes >= half) {
        incoming.pause();
        forwarded.destroy();
        outgoing.socket?.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    seen,
    get maxInFlight() {
      return maxInFlight;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
