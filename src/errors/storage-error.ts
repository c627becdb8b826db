// The one base class: a code, structured details, one suggestion, a cause kept, JSON for logs,
// and an `instanceof` that holds across copies of the library loaded in one process.

/**
 * Every error code this library throws. A code is stable across versions: match on it,
 * not on the message.
 */
export type StorageErrorCode =
  | 'INSUFFICIENT_STORAGE'
  | 'CLEANUP_FAILED'
  | 'EXTRACTION_FAILED'
  | 'COMPRESSION_FAILED'
  | 'INVALID_CONFIGURATION'
  | 'INVALID_S3_KEY'
  | 'MIGRATION_FAILED';

/** Options every {@link StorageError} constructor accepts. */
export interface StorageErrorOptions {
  /** The error that caused this one (kept, never swallowed). */
  cause?: unknown;
  /** One concrete thing to try; overrides the class's default suggestion. */
  suggestion?: string;
  /** Extra structured fields, merged into {@link StorageError.details}. */
  details?: Record<string, unknown>;
}

/**
 * `instanceof` must hold across copies of this module (the ESM and the CJS build loaded in one
 * process, or two installed versions). Each instance carries the names of its classes under a
 * registry symbol, and each class checks that list as well as its own prototype chain.
 */
const KINDS = Symbol.for('storage-safe-archive.error-kinds');

function kindsOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kinds = (value as Record<symbol, unknown>)[KINDS];
  return Array.isArray(kinds) ? (kinds as string[]) : undefined;
}

/**
 * The base of every error this library throws: a stable `code`, structured `details`,
 * a `suggestion` a person can act on, and the original `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await repackage({ source, output });
 * } catch (error) {
 *   if (isStorageError(error)) console.error(error.code, error.suggestion, error.toJSON());
 *   throw error;
 * }
 * ```
 */
export class StorageError extends Error {
  /** The name `instanceof` checks against across module copies. */
  static readonly kind: string = 'StorageError';

  /** A stable machine-readable code. */
  readonly code: StorageErrorCode;
  /** Structured facts about the failure (sizes, paths, entry names). */
  readonly details: Readonly<Record<string, unknown>>;
  /** One concrete thing to try next. */
  readonly suggestion: string | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
    this.suggestion = options.suggestion;
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'kind')) kinds.push((c as unknown as { kind: string }).kind);
    }
    Object.defineProperty(this, KINDS, { value: Object.freeze(kinds) });
  }

  /**
   * `error instanceof ExtractionError` holds for errors thrown by any copy of this library (the
   * ESM and the CommonJS build in one process, or two installed versions), not only this one.
   *
   * @example
   * ```ts
   * errorFromTheOtherBuild instanceof StorageError; // true
   * ```
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return kindsOf(value)?.includes(this.kind) ?? false;
  }

  /** A plain object for structured logs: name, code, message, details, suggestion and cause. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      details: this.details,
      ...(this.suggestion === undefined ? {} : { suggestion: this.suggestion }),
      ...(this.cause === undefined ? {} : { cause: serializeCause(this.cause) }),
    };
  }
}

/** A cause as JSON: our errors whole, other errors by name, message and code. */
export function serializeCause(cause: unknown): unknown {
  if (cause instanceof StorageError) return cause.toJSON();
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return { name: cause.name, message: cause.message, ...(code === undefined ? {} : { code }) };
  }
  return cause;
}

/**
 * True for any error thrown by this library, whichever copy of it threw.
 *
 * @example
 * ```ts
 * if (isStorageError(error) && error.code === 'INSUFFICIENT_STORAGE') { ... }
 * ```
 */
export function isStorageError(value: unknown): value is StorageError {
  return value instanceof StorageError;
}
