// Cleanup that could not remove something: every path with its cause, none hidden.
import { serializeCause, StorageError, type StorageErrorOptions } from './storage-error.js';

/** One path (or cleanup function) that could not be removed, with why. */
export interface CleanupFailure {
  /** The path, or a label for a cleanup function. */
  path: string;
  /** The error the removal raised. */
  cause: unknown;
}

/**
 * One or more registered cleanups failed. Lists every path that could not be removed, each
 * with its cause, so nothing is left behind silently.
 *
 * @example
 * ```ts
 * if (error instanceof CleanupFailedError) {
 *   for (const { path, cause } of error.failures) logger.error('not removed', { path, cause });
 * }
 * ```
 */
export class CleanupFailedError extends StorageError {
  static override readonly kind: string = 'CleanupFailedError';

  /** Every path that could not be removed, with its cause. */
  readonly failures: readonly CleanupFailure[];

  constructor(failures: readonly CleanupFailure[], options: StorageErrorOptions = {}) {
    const list = failures.map((f) => `${f.path} (${describeCause(f.cause)})`).join(', ');
    const suggestion =
      options.suggestion ??
      'check the permissions of these paths and whether another process holds them open, then remove them by hand';
    super(
      'CLEANUP_FAILED',
      `could not remove ${failures.length} path${failures.length === 1 ? '' : 's'}: ${list}; ${suggestion}`,
      {
        cause: options.cause ?? (failures.length === 1 ? failures[0]?.cause : undefined),
        suggestion,
        details: { ...options.details, paths: failures.map((f) => f.path) },
      },
    );
    this.failures = Object.freeze([...failures]);
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      failures: this.failures.map((f) => ({ path: f.path, cause: serializeCause(f.cause) })),
    };
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ?? cause.message;
  }
  return String(cause);
}
