import { isStorageError } from '../errors/index.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';

/**
 * Prints a failure as one clear line plus a suggestion (or, with `--json`, one JSON document on
 * stdout) and returns the exit code: 2 for usage mistakes, 1 for everything else.
 */
export function reportError(error: unknown, io: CliIo, json: boolean, usage: string): number {
  if (error instanceof UsageError) {
    io.stderr.write(`storage-safe-archive: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (json) {
    const body = isStorageError(error) ? error.toJSON() : { name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) };
    io.stdout.write(`${JSON.stringify({ ok: false, error: body })}\n`);
    return 1;
  }
  if (isStorageError(error)) {
    // The message already ends with the suggestion; print the part before it, then the suggestion on its own line.
    const suggestion = error.suggestion;
    const message = suggestion && error.message.endsWith(`; ${suggestion}`) ? error.message.slice(0, -suggestion.length - 2) : error.message;
    io.stderr.write(`error: ${message}\n`);
    if (suggestion) io.stderr.write(`try: ${suggestion}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`error: ${message}\n`);
  return 1;
}
