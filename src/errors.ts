import { ceilGiB, formatBytes } from './units.js';

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

/**
 * Why an extraction (or a repackage, which reads with the same readers and safety policy)
 * was refused. The safety policy, the readers and the fuzzing oracle all use this list.
 */
export const EXTRACTION_REASONS = [
  /** A name with a `..` segment, or one that resolves outside the destination. */
  'PATH_TRAVERSAL',
  /** An absolute name, a drive letter (`C:`) or a UNC prefix (`\\server`). */
  'ABSOLUTE_PATH',
  /** A name that is empty, contains NUL or a backslash, or breaks a length limit per segment. */
  'INVALID_NAME',
  /** A symbolic or hard link whose target leaves the destination, or a write through a link. */
  'LINK_ESCAPE',
  /** A link refused because the caller asked for `links: 'reject'`. */
  'LINK_REJECTED',
  /** A device, FIFO or other entry type we never create. */
  'UNSUPPORTED_ENTRY_TYPE',
  /** An entry-count, depth, path-length, header-size, total-size or ratio limit was exceeded. */
  'LIMIT_EXCEEDED',
  /** Malformed or truncated input: bad checksum, cut stream, impossible field values. */
  'CORRUPT',
  /** A CRC-32 that does not match the bytes really produced. */
  'CHECKSUM_MISMATCH',
  /** A declared size that does not match the bytes really produced. */
  'SIZE_MISMATCH',
  /** Zip entries whose byte ranges overlap each other or the central directory. */
  'OVERLAPPING_ENTRIES',
  /** The input is not a tar, tar.gz or zip (decided by magic bytes, never by name). */
  'UNSUPPORTED_FORMAT',
  /** Two entries that would be written to the same path in a way we refuse. */
  'DUPLICATE_ENTRY',
  /** The destination already holds a file or link at an entry's path (from before this call); it is never overwritten. */
  'DESTINATION_EXISTS',
  /** The archive path names nothing (or a folder): there is no archive to read. */
  'SOURCE_NOT_FOUND',
  /** The caller's `AbortSignal` fired. */
  'ABORTED',
] as const;

/** One of {@link EXTRACTION_REASONS}. */
export type ExtractionReason = (typeof EXTRACTION_REASONS)[number];

/** Why writing a zip failed. */
export const COMPRESSION_REASONS = [
  /** Reading a source file or stream failed. */
  'SOURCE_FAILED',
  /** Writing the output failed (not a full disk: that is {@link InsufficientStorageError}). */
  'WRITE_FAILED',
  /** An entry name the zip format or the safety policy refuses. */
  'INVALID_NAME',
  /** A declared size that differs from the bytes really read. */
  'SIZE_MISMATCH',
  /** The zipper was used after `finalize()` or after a failure. */
  'INVALID_STATE',
  /** The output file already exists and `overwrite` was not set. */
  'OUTPUT_EXISTS',
  /** The caller's `AbortSignal` fired. */
  'ABORTED',
] as const;

/** One of {@link COMPRESSION_REASONS}. */
export type CompressionReason = (typeof COMPRESSION_REASONS)[number];

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

function serializeCause(cause: unknown): unknown {
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

/** Fields of an {@link InsufficientStorageError}. */
export interface InsufficientStorageErrorFields extends StorageErrorOptions {
  /** Bytes the operation needs. */
  requiredBytes: number;
  /** Bytes free (less any reservations) when it was checked. */
  availableBytes: number;
  /** The directory whose disk is short. */
  path: string;
  /** The disk's total size, when known: used to suggest an ephemeral-storage size. */
  totalBytes?: number;
  /** What needed the space ("extracting model.tar.gz"). */
  operation?: string;
}

/**
 * There is not enough free disk for an operation, checked before it writes or raised in
 * place of a raw `ENOSPC` when a disk fills anyway. Carries the numbers and what to try.
 *
 * @example
 * ```ts
 * const error = new InsufficientStorageError({ requiredBytes: 3.1 * GiB, availableBytes: 1.2 * GiB, path: '/tmp' });
 * error.message; // "needs 3.1 GiB in /tmp but 1.2 GiB is free; raise ..."
 * ```
 */
export class InsufficientStorageError extends StorageError {
  static override readonly kind: string = 'InsufficientStorageError';

  /** Bytes the operation needs. */
  readonly requiredBytes: number;
  /** Bytes that were free. */
  readonly availableBytes: number;
  /** The directory whose disk is short. */
  readonly path: string;

  constructor(fields: InsufficientStorageErrorFields) {
    const { requiredBytes, availableBytes, path, totalBytes, operation } = fields;
    const shortfall = Math.max(0, requiredBytes - availableBytes);
    // A Lambda's disk is the ephemeral storage setting; what is in use stays in use, so the
    // size to ask for is what is used now plus what this operation needs.
    const wanted = totalBytes === undefined ? requiredBytes : totalBytes - availableBytes + requiredBytes;
    const suggestion =
      fields.suggestion ??
      `raise the function's ephemeral storage to at least ${ceilGiB(wanted)} GiB, ` +
        `or stream with repackage() or entries() so no scratch disk is used`;
    const what = operation ? `${operation} needs` : 'needs';
    super(
      'INSUFFICIENT_STORAGE',
      `${what} ${formatBytes(requiredBytes)} in ${path} but ${formatBytes(availableBytes)} is free; ${suggestion}`,
      {
        cause: fields.cause,
        suggestion,
        details: {
          ...fields.details,
          requiredBytes,
          availableBytes,
          shortfallBytes: shortfall,
          path,
          ...(totalBytes === undefined ? {} : { totalBytes }),
          ...(operation === undefined ? {} : { operation }),
        },
      },
    );
    this.requiredBytes = requiredBytes;
    this.availableBytes = availableBytes;
    this.path = path;
  }
}

/** One path (or cleanup function) that could not be removed, with why. */
export interface CleanupFailure {
  /** The path, or a label for a cleanup function. */
  path: string;
  /** The error the removal raised. */
  cause: unknown;
}

/**
 * One or more registered cleanups failed. Lists every path that could not be removed, each
 * with its cause, so nothing is left behind silently (seed requirement 4.3).
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

/** Fields of an {@link ExtractionError}. */
export interface ExtractionErrorFields extends StorageErrorOptions {
  /** Why the archive or entry was refused. */
  reason: ExtractionReason;
  /** The entry's name as the archive gave it, when the error concerns one entry. */
  entryPath?: string;
  /** The archive, when it has a path. */
  archivePath?: string;
}

const EXTRACTION_SUGGESTIONS: Record<ExtractionReason, string> = {
  PATH_TRAVERSAL: 'the archive tries to write outside the destination; do not trust its source',
  ABSOLUTE_PATH: 'the archive names an absolute path; do not trust its source',
  INVALID_NAME: 'rename the entry where the archive is made, or filter it out',
  LINK_ESCAPE: "the archive's links point outside the destination; do not trust its source",
  LINK_REJECTED: "extract with links: 'within-destination' to allow links that stay inside",
  UNSUPPORTED_ENTRY_TYPE: 'filter out device and FIFO entries; they are never created',
  LIMIT_EXCEEDED: 'raise the named limit in `limits` if the archive is trusted',
  CORRUPT: 'download the archive again and compare its checksum with the source',
  CHECKSUM_MISMATCH: 'download the archive again and compare its checksum with the source',
  SIZE_MISMATCH: 'download the archive again; if it persists, the archive is malformed or hostile',
  OVERLAPPING_ENTRIES: 'the zip reuses bytes between entries (a zip bomb); do not trust its source',
  UNSUPPORTED_FORMAT: 'give a tar, tar.gz or zip; the format is read from the first bytes, not the name',
  DUPLICATE_ENTRY: 'remove the duplicate entry where the archive is made',
  DESTINATION_EXISTS: 'extract into a new or empty folder, or remove what is already there (existing files are never overwritten)',
  SOURCE_NOT_FOUND: 'check the archive path (relative paths start at the current folder) and that the download finished',
  ABORTED: 'the operation was cancelled by its AbortSignal; run it again when ready',
};

/**
 * An archive or entry was refused: hostile, over a limit, corrupt or cancelled. `reason` says
 * which, `entryPath` names the entry.
 *
 * @example
 * ```ts
 * if (error instanceof ExtractionError && error.reason === 'PATH_TRAVERSAL') {
 *   logger.warn('hostile archive', { entry: error.entryPath });
 * }
 * ```
 */
export class ExtractionError extends StorageError {
  static override readonly kind: string = 'ExtractionError';

  /** Why the archive or entry was refused. */
  readonly reason: ExtractionReason;
  /** The entry concerned, if any. */
  readonly entryPath: string | undefined;

  constructor(message: string, fields: ExtractionErrorFields) {
    const suggestion = fields.suggestion ?? EXTRACTION_SUGGESTIONS[fields.reason];
    const where = fields.entryPath === undefined ? '' : ` (entry ${JSON.stringify(fields.entryPath)})`;
    super('EXTRACTION_FAILED', `${message}${where}; ${suggestion}`, {
      cause: fields.cause,
      suggestion,
      details: {
        ...fields.details,
        reason: fields.reason,
        ...(fields.entryPath === undefined ? {} : { entryPath: fields.entryPath }),
        ...(fields.archivePath === undefined ? {} : { archivePath: fields.archivePath }),
      },
    });
    this.reason = fields.reason;
    this.entryPath = fields.entryPath;
  }
}

/** Fields of a {@link CompressionError}. */
export interface CompressionErrorFields extends StorageErrorOptions {
  /** Why writing the zip failed. */
  reason: CompressionReason;
  /** The entry being written, if any. */
  entryPath?: string;
  /** The output, when it is a path. */
  outputPath?: string;
}

const COMPRESSION_SUGGESTIONS: Record<CompressionReason, string> = {
  SOURCE_FAILED: 'check that the source exists and is readable',
  WRITE_FAILED: 'check that the output location is writable and reachable',
  INVALID_NAME: 'use a relative name with forward slashes and no `..` segment',
  SIZE_MISMATCH: 'the source changed while it was read; retry once it is stable',
  INVALID_STATE: 'create a new IncrementalZipper for each archive',
  OUTPUT_EXISTS: 'choose another output path, remove the file, or pass overwrite: true (--force on the command line)',
  ABORTED: 'the operation was cancelled by its AbortSignal; run it again when ready',
};

/**
 * Writing a zip failed. The partly written output has been removed when it was a file.
 *
 * @example
 * ```ts
 * if (error instanceof CompressionError) console.error(error.reason, error.entryPath);
 * ```
 */
export class CompressionError extends StorageError {
  static override readonly kind: string = 'CompressionError';

  /** Why writing failed. */
  readonly reason: CompressionReason;
  /** The entry concerned, if any. */
  readonly entryPath: string | undefined;

  constructor(message: string, fields: CompressionErrorFields) {
    const suggestion = fields.suggestion ?? COMPRESSION_SUGGESTIONS[fields.reason];
    const where = fields.entryPath === undefined ? '' : ` (entry ${JSON.stringify(fields.entryPath)})`;
    super('COMPRESSION_FAILED', `${message}${where}; ${suggestion}`, {
      cause: fields.cause,
      suggestion,
      details: {
        ...fields.details,
        reason: fields.reason,
        ...(fields.entryPath === undefined ? {} : { entryPath: fields.entryPath }),
        ...(fields.outputPath === undefined ? {} : { outputPath: fields.outputPath }),
      },
    });
    this.reason = fields.reason;
    this.entryPath = fields.entryPath;
  }
}

/**
 * An option or environment variable has a value we refuse (a threshold ratio above 1, a
 * negative size). Names the setting and the rule.
 *
 * @example
 * ```ts
 * new ConfigurationError('STORAGE_WARNING_RATIO', 'must be a number between 0 and 1', '1.5');
 * ```
 */
export class ConfigurationError extends StorageError {
  static override readonly kind: string = 'ConfigurationError';

  /** The option or variable. */
  readonly setting: string;

  constructor(setting: string, rule: string, value?: unknown, options: StorageErrorOptions = {}) {
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
    const suggestion = options.suggestion ?? `set ${setting} to a valid value, or unset it to use the default`;
    super('INVALID_CONFIGURATION', `${setting} ${rule}${shown}; ${suggestion}`, {
      ...options,
      suggestion,
      details: { ...options.details, setting, rule, ...(value === undefined ? {} : { value }) },
    });
    this.setting = setting;
  }
}

/**
 * An S3 key or one of its parts breaks a rule (empty segment, `//`, too long, a character AWS
 * advises avoiding). Never silently altered: the error names the field and the rule.
 *
 * @example
 * ```ts
 * new InvalidS3KeyError('job', 'must not contain "/"', 'a/b');
 * ```
 */
export class InvalidS3KeyError extends StorageError {
  static override readonly kind: string = 'InvalidS3KeyError';

  /** The argument or key part that broke the rule. */
  readonly field: string;
  /** The rule, in words. */
  readonly rule: string;

  constructor(field: string, rule: string, value?: unknown, options: StorageErrorOptions = {}) {
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
    const suggestion = options.suggestion ?? 'fix the value, or pass it through sanitizeName() first';
    super('INVALID_S3_KEY', `${field} ${rule}${shown}; ${suggestion}`, {
      ...options,
      suggestion,
      details: { ...options.details, field, rule, ...(value === undefined ? {} : { value }) },
    });
    this.field = field;
    this.rule = rule;
  }
}

/**
 * A migration step could not be carried out safely (a conflict, a copy that does not verify,
 * a finalize with missing copies). Nothing is deleted when this is thrown.
 *
 * @example
 * ```ts
 * if (error instanceof MigrationError) console.error(error.details.key);
 * ```
 */
export class MigrationError extends StorageError {
  static override readonly kind: string = 'MigrationError';

  constructor(message: string, options: StorageErrorOptions = {}) {
    const suggestion = options.suggestion ?? 'run `validate` to see what differs, fix it, then run the step again';
    super('MIGRATION_FAILED', `${message}; ${suggestion}`, { ...options, suggestion });
  }
}
