// Node 20 has `Symbol.asyncDispose` but no global `SuppressedError` (it arrived in Node 24).
// TypeScript's `using` helpers fall back to a plain Error with name 'SuppressedError' and the
// fields `error` and `suppressed`; this class has the same shape, so both kinds are recognised
// by `isSuppressedError`, and the global is used wherever it exists.

/**
 * The shape of a `SuppressedError`: declared here so our type declarations do not need the
 * `esnext.disposable` lib in the user's TypeScript configuration.
 */
export interface SuppressedError extends Error {
  /** The error thrown last (typically by a cleanup). */
  error: unknown;
  /** The error it would otherwise have hidden (typically the original failure). */
  suppressed: unknown;
}

/** The constructor of {@link SuppressedError}, as the standard defines it. */
export interface SuppressedErrorConstructor {
  /** Makes an error that keeps `error` (the later one) and `suppressed` (the earlier one). */
  new (error: unknown, suppressed: unknown, message?: string): SuppressedError;
  /** The prototype shared by its instances. */
  readonly prototype: SuppressedError;
}

/** Our stand-in for the standard `SuppressedError`, used where the runtime has none. */
class SuppressedErrorPonyfill extends Error implements SuppressedError {
  error: unknown;
  suppressed: unknown;

  constructor(error: unknown, suppressed: unknown, message?: string) {
    super(message ?? 'An error was suppressed during disposal.');
    this.name = 'SuppressedError';
    this.error = error;
    this.suppressed = suppressed;
  }
}

/**
 * The runtime's `SuppressedError` where there is one (Node 24+), otherwise a class of the same
 * shape: `error` is the later error (a failed cleanup), `suppressed` the earlier one it would
 * otherwise hide (the original failure). Neither is lost.
 *
 * @example
 * ```ts
 * throw new SuppressedError(cleanupError, originalError, 'cleanup failed after an error');
 * ```
 */
export const SuppressedError: SuppressedErrorConstructor =
  (globalThis as { SuppressedError?: SuppressedErrorConstructor }).SuppressedError ?? SuppressedErrorPonyfill;

/**
 * True for a `SuppressedError` from any source: the global, ours, or TypeScript's `using`
 * fallback (a plain Error named `SuppressedError`).
 *
 * @example
 * ```ts
 * if (isSuppressedError(e)) console.error('cleanup failed too', e.error, 'after', e.suppressed);
 * ```
 */
export function isSuppressedError(value: unknown): value is SuppressedError {
  return (
    value instanceof Error && value.name === 'SuppressedError' && 'error' in value && 'suppressed' in value
  );
}

/**
 * The first error of a chain of suppressions: the failure that started it, before any cleanup
 * failed. Returns `error` itself when it is not a `SuppressedError`.
 *
 * @example
 * ```ts
 * catch (e) { if (originalError(e) instanceof ExtractionError) ... }
 * ```
 */
export function originalError(error: unknown): unknown {
  let current = error;
  while (isSuppressedError(current)) current = current.suppressed;
  return current;
}
