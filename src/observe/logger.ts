/**
 * The logging interface the library writes to: the method shapes of Powertools Logger,
 * `console`-like loggers and pino, so a caller can pass theirs as it is.
 *
 * @example
 * ```ts
 * import { Logger } from '@aws-lambda-powertools/logger';
 * const storage = new StorageManager({ logger: new Logger({ serviceName: 'packaging' }) });
 * ```
 */
export interface StorageLogger {
  /** Detail for troubleshooting. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Normal progress. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something to look at before it becomes a failure. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The level names a {@link JsonLogger} knows, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Options of {@link JsonLogger}. */
export interface JsonLoggerOptions {
  /** Least severe level written. Default: `LOG_LEVEL` from the environment, else `'info'`. */
  level?: LogLevel;
  /** Fields added to every line (service name, request id). */
  fields?: Record<string, unknown>;
  /** Where lines go. Default: `process.stdout.write`. */
  write?: (line: string) => void;
}

/**
 * A logger that writes one JSON object a line: `level`, `message`, `timestamp` and the fields.
 * Errors in fields are written with their name, message, code and (for our errors) details.
 *
 * @example
 * ```ts
 * const logger = new JsonLogger({ fields: { service: 'packaging' } });
 * logger.info('reserved', { bytes: 1024 });
 * // {"level":"info","message":"reserved","timestamp":"…","service":"packaging","bytes":1024}
 * ```
 */
export class JsonLogger implements StorageLogger {
  readonly #level: number;
  readonly #fields: Record<string, unknown>;
  readonly #write: (line: string) => void;

  constructor(options: JsonLoggerOptions = {}) {
    const fromEnv = process.env.LOG_LEVEL?.toLowerCase() as LogLevel | undefined;
    const level = options.level ?? (fromEnv && fromEnv in LEVEL_ORDER ? fromEnv : 'info');
    this.#level = LEVEL_ORDER[level];
    this.#fields = options.fields ?? {};
    this.#write = options.write ?? ((line) => process.stdout.write(line));
  }

  /** A logger that adds `fields` to every line, on top of this one's. */
  child(fields: Record<string, unknown>): JsonLogger {
    const level = (Object.keys(LEVEL_ORDER) as LogLevel[]).find((k) => LEVEL_ORDER[k] === this.#level) ?? 'info';
    return new JsonLogger({ level, fields: { ...this.#fields, ...fields }, write: this.#write });
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.#log('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.#log('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.#log('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.#log('error', message, fields);
  }

  #log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void {
    if (LEVEL_ORDER[level] < this.#level) return;
    const line = { level, message, timestamp: new Date().toISOString(), ...this.#fields, ...fields };
    this.#write(JSON.stringify(line, replaceErrors) + '\n');
  }
}

function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const withJson = value as Error & { toJSON?: () => unknown };
    if (typeof withJson.toJSON === 'function') return withJson.toJSON();
    return { name: value.name, message: value.message, code: (value as NodeJS.ErrnoException).code };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * A logger that writes nothing: the default, so the library is silent unless asked.
 *
 * @example
 * ```ts
 * const storage = new StorageManager({ logger: silentLogger });
 * ```
 */
export const silentLogger: StorageLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
