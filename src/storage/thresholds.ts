import { z } from 'zod';
import { ConfigurationError } from '../errors/index.js';

/** Default fraction of the usable disk in use at which monitors warn. */
export const DEFAULT_WARNING_RATIO = 0.8;
/** Default fraction of the usable disk in use at which monitors report critical. */
export const DEFAULT_CRITICAL_RATIO = 0.95;

/** Environment variables read by {@link resolveThresholds} when no option is given. */
export const THRESHOLD_ENV = {
  /** Overrides the default warning ratio. */
  warning: 'STORAGE_WARNING_RATIO',
  /** Overrides the default critical ratio. */
  critical: 'STORAGE_CRITICAL_RATIO',
} as const;

/** Warning and critical ratios, validated: `0 < warning < critical <= 1`. */
export interface Thresholds {
  /** Fraction of the usable disk in use at which a warning fires. */
  warningRatio: number;
  /** Fraction of the usable disk in use at which the state is critical. */
  criticalRatio: number;
}

const ratio = z.number().gt(0).lte(1);
// Environment values are strings; an empty one counts as unset, like most 12-factor tooling.
const envRatio = z.string().trim().min(1).pipe(z.coerce.number()).pipe(ratio);

function parseRatio(setting: string, value: unknown, fromEnv: boolean): number {
  const parsed = (fromEnv ? envRatio : ratio).safeParse(value);
  if (!parsed.success) throw new ConfigurationError(setting, 'must be a number greater than 0 and at most 1', value);
  return parsed.data;
}

/**
 * Resolves the thresholds from options, else from `STORAGE_WARNING_RATIO` /
 * `STORAGE_CRITICAL_RATIO`, else the defaults (0.8 and 0.95). A bad value throws a
 * {@link ConfigurationError} naming the option or variable it came from.
 *
 * @example
 * ```ts
 * resolveThresholds({ warningRatio: 0.7 }); // { warningRatio: 0.7, criticalRatio: 0.95 }
 * ```
 */
export function resolveThresholds(
  options: Partial<Thresholds> = {},
  env: Record<string, string | undefined> = process.env,
): Thresholds {
  const pick = (option: 'warningRatio' | 'criticalRatio', variable: string, fallback: number) => {
    if (options[option] !== undefined) return { value: parseRatio(option, options[option], false), setting: option };
    const raw = env[variable];
    if (raw !== undefined && raw.trim() !== '') return { value: parseRatio(variable, raw, true), setting: variable };
    return { value: fallback, setting: option };
  };
  const warning = pick('warningRatio', THRESHOLD_ENV.warning, DEFAULT_WARNING_RATIO);
  const critical = pick('criticalRatio', THRESHOLD_ENV.critical, DEFAULT_CRITICAL_RATIO);
  if (warning.value >= critical.value) {
    throw new ConfigurationError(
      warning.setting,
      `must be less than ${critical.setting} (${critical.value})`,
      warning.value,
    );
  }
  return { warningRatio: warning.value, criticalRatio: critical.value };
}

/**
 * A non-negative whole number of bytes, or a {@link ConfigurationError} naming `setting`.
 *
 * @example
 * ```ts
 * parseByteCount('reserveBytes', 64 * MiB);
 * ```
 */
export function parseByteCount(setting: string, value: unknown): number {
  const parsed = z.number().int().nonnegative().safeParse(value);
  if (!parsed.success) throw new ConfigurationError(setting, 'must be a whole number of bytes, 0 or more', value);
  return parsed.data;
}

/** A disk's level against its thresholds. */
export type StorageLevel = 'normal' | 'warning' | 'critical';

/** What changed at one observation; in the order the callbacks must run. */
export type LevelEvent = 'warning' | 'critical' | 'recovered';

/**
 * Turns a series of usage ratios into level events, guaranteeing that a warning always comes
 * before a critical: a jump from normal straight to critical (one sample skipped the band)
 * emits `['warning', 'critical']`. Falling back below the warning ratio emits `recovered`, so
 * the next rise warns again. Pure: no clock, no disk.
 *
 * @example
 * ```ts
 * const tracker = new LevelTracker({ warningRatio: 0.8, criticalRatio: 0.95 });
 * tracker.observe(0.5);  // []
 * tracker.observe(0.97); // ['warning', 'critical']
 * tracker.observe(0.1);  // ['recovered']
 * ```
 */
export class LevelTracker {
  #level: StorageLevel = 'normal';

  constructor(private readonly thresholds: Thresholds) {}

  /** The level after the last observation. */
  get level(): StorageLevel {
    return this.#level;
  }

  /** Records one usage ratio and returns the events it causes, in order. */
  observe(usedRatio: number): LevelEvent[] {
    const next: StorageLevel =
      usedRatio >= this.thresholds.criticalRatio ? 'critical' : usedRatio >= this.thresholds.warningRatio ? 'warning' : 'normal';
    return this.#moveTo(next);
  }

  /**
   * Records a failure for lack of space (a refused `ensureSpace`, a full disk): at least
   * critical, with the warning first if none was given yet.
   */
  observeFailure(): LevelEvent[] {
    return this.#moveTo('critical');
  }

  #moveTo(next: StorageLevel): LevelEvent[] {
    const events: LevelEvent[] = [];
    if (next === 'normal') {
      if (this.#level !== 'normal') events.push('recovered');
    } else {
      if (this.#level === 'normal') events.push('warning');
      if (next === 'critical' && this.#level !== 'critical') events.push('critical');
    }
    this.#level = next;
    return events;
  }
}
