// One Lambda function run in this process. Its handler module is imported fresh (a new module
// instance, through a cache-busting query string) on the first invocation after start or after
// recycle(), so the first call pays the module's real initialisation: a cold start. Later calls
// reuse the instance: warm. Log lines the handler writes while serving a call are attributed to
// this function, like a CloudWatch log group.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { lambdaContext } from './proxy-event.js';

/** A Lambda handler in the async style. */
export type AsyncHandler = (event: unknown, context: Context) => Promise<unknown>;

/** What one invocation did. */
export interface Invocation<T = unknown> {
  /** The handler's return value. */
  result: T;
  /** The Lambda request id. */
  requestId: string;
  /** True when this call loaded the handler module (or waited for that load). */
  coldStart: boolean;
  /** Milliseconds spent importing and initialising the module; 0 when warm. */
  initMs: number;
  /** Milliseconds spent in the handler. */
  durationMs: number;
}

/** A log line written during an invocation. */
export interface CapturedLogLine {
  /** The function that wrote it. */
  functionName: string;
  /** The line, without its newline. */
  line: string;
}

const currentFunction = new AsyncLocalStorage<{ name: string; echo: boolean }>();
const captured: CapturedLogLine[] = [];
const MAX_CAPTURED = 2000;
let tapInstalled = false;

// Records stdout lines written inside an invocation (JsonLogger writes through process.stdout).
function installStdoutTap(): void {
  if (tapInstalled) return;
  tapInstalled = true;
  const original = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const invocation = currentFunction.getStore();
    if (invocation !== undefined) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') captured.push({ functionName: invocation.name, line });
      if (captured.length > MAX_CAPTURED) captured.splice(0, captured.length - MAX_CAPTURED);
      if (!invocation.echo) {
        // Swallowed, but the write contract still holds: report completion to a callback.
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
    }
    return original(chunk, ...rest);
  }) as typeof process.stdout.write;
}

/** The most recent log lines of `functionName` (newest last). */
export function recentLogLines(functionName: string, limit = 50): string[] {
  return captured.filter((c) => c.functionName === functionName).slice(-limit).map((c) => c.line);
}

/** A Lambda function served in-process from a handler module. */
export class LocalFunction {
  #instance: Promise<{ handler: AsyncHandler; initMs: number }> | undefined;
  #generation = 0;
  #invocations = 0;
  #coldStarts = 0;

  constructor(
    /** The function name (also its log group's name). */
    readonly name: string,
    /** URL of the module exporting `handler`. */
    readonly moduleUrl: URL,
    readonly options: { timeoutMs?: number; memoryMb?: number; echoLogs?: boolean } = {},
  ) {
    installStdoutTap();
  }

  #store(): { name: string; echo: boolean } {
    return { name: this.name, echo: this.options.echoLogs ?? true };
  }

  /** Drops the current instance: the next invocation is a cold start (like a configuration update on AWS). */
  recycle(): void {
    this.#instance = undefined;
  }

  /** Counts since start: invocations and cold starts. */
  get stats(): { invocations: number; coldStarts: number; generation: number } {
    return { invocations: this.#invocations, coldStarts: this.#coldStarts, generation: this.#generation };
  }

  #load(): Promise<{ handler: AsyncHandler; initMs: number }> {
    const generation = ++this.#generation;
    this.#coldStarts += 1;
    const started = performance.now();
    const url = new URL(this.moduleUrl);
    url.searchParams.set('instance', `${generation}-${randomUUID().slice(0, 8)}`);
    return currentFunction.run(this.#store(), async () => {
      const module = (await import(url.href)) as { handler?: unknown };
      if (typeof module.handler !== 'function') throw new Error(`${this.moduleUrl.pathname} does not export a function named handler`);
      return { handler: module.handler as AsyncHandler, initMs: performance.now() - started };
    });
  }

  /** Invokes the handler with `event`, loading the module first when there is no instance. */
  async invoke<T = unknown>(event: unknown, requestId: string = randomUUID()): Promise<Invocation<T>> {
    this.#invocations += 1;
    const cold = this.#instance === undefined;
    if (cold) {
      this.#instance = this.#load();
      this.#instance.catch(() => (this.#instance = undefined));
    }
    const loading = this.#instance as Promise<{ handler: AsyncHandler; initMs: number }>;
    const { handler, initMs } = await loading;
    const context = lambdaContext(this.name, { requestId, timeoutMs: this.options.timeoutMs, memoryMb: this.options.memoryMb });
    const started = performance.now();
    const result = (await currentFunction.run(this.#store(), () => handler(event, context))) as T;
    return { result, requestId, coldStart: cold, initMs: cold ? initMs : 0, durationMs: performance.now() - started };
  }
}
