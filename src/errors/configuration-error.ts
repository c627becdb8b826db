// A setting or option with a value that cannot work.
import { StorageError, type StorageErrorOptions } from './storage-error.js';

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
