// Structured JSON logs for the handlers, written with the library's JsonLogger: one JSON object
// a line on stdout, which CloudWatch Logs stores as it is.
import { JsonLogger } from 'storage-safe-archive';

/** The service name a handler logs and emits metrics under. */
export function serviceName(fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.POWERTOOLS_SERVICE_NAME ?? env.SERVICE_NAME ?? fallback;
}

/** Where log lines go; tests and the local mode pass their own to capture them. */
export type LineWriter = (line: string) => void;

/** A logger for one handler, with `service` on every line. */
export function createFunctionLogger(service: string, write?: LineWriter): JsonLogger {
  return new JsonLogger({ fields: { service }, write });
}
