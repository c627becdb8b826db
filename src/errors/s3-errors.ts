// The S3 layout's errors: a key that breaks a rule, a migration step that cannot be done safely.
// (No AWS SDK here: the key builder is in the root entry.)
import { StorageError, type StorageErrorOptions } from './storage-error.js';

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
