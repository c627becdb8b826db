import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import { LevelTracker, parseByteCount, resolveThresholds, type LevelEvent } from '../../src/storage/thresholds.js';

describe('resolveThresholds', () => {
  it('defaults to 0.8 and 0.95', () => {
    expect(resolveThresholds({}, {})).toEqual({ warningRatio: 0.8, criticalRatio: 0.95 });
  });

  it('reads STORAGE_WARNING_RATIO and STORAGE_CRITICAL_RATIO; options win over them', () => {
    const env = { STORAGE_WARNING_RATIO: ' 0.5 ', STORAGE_CRITICAL_RATIO: '0.9' };
    expect(resolveThresholds({}, env)).toEqual({ warningRatio: 0.5, criticalRatio: 0.9 });
    expect(resolveThresholds({ warningRatio: 0.6 }, env)).toEqual({ warningRatio: 0.6, criticalRatio: 0.9 });
    expect(resolveThresholds({}, { STORAGE_WARNING_RATIO: '' })).toEqual({ warningRatio: 0.8, criticalRatio: 0.95 });
  });

  it.each([
    ['STORAGE_WARNING_RATIO', 'abc'],
    ['STORAGE_WARNING_RATIO', '1.5'],
    ['STORAGE_CRITICAL_RATIO', '0'],
    ['STORAGE_CRITICAL_RATIO', '-0.2'],
    ['STORAGE_CRITICAL_RATIO', 'Infinity'],
  ])('refuses %s=%s with a ConfigurationError naming the variable', (variable, value) => {
    let caught: unknown;
    try {
      resolveThresholds({}, { [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as ConfigurationError).setting).toBe(variable);
    expect((caught as Error).message).toContain(variable);
  });

  it('refuses a warning ratio that is not below the critical ratio, naming where it came from', () => {
    expect(() => resolveThresholds({ warningRatio: 0.9, criticalRatio: 0.9 }, {})).toThrow(/warningRatio must be less than criticalRatio/);
    expect(() => resolveThresholds({}, { STORAGE_WARNING_RATIO: '0.97' })).toThrow(/STORAGE_WARNING_RATIO must be less than criticalRatio \(0.95\)/);
    expect(() => resolveThresholds({ warningRatio: Number.NaN }, {})).toThrow(ConfigurationError);
  });

  it('parses byte counts', () => {
    expect(parseByteCount('reserveBytes', 0)).toBe(0);
    expect(() => parseByteCount('reserveBytes', -1)).toThrow(/reserveBytes must be a whole number/);
    expect(() => parseByteCount('reserveBytes', 1.5)).toThrow(ConfigurationError);
  });
});

/** Seed property 9 (pure part): whatever the samples, a critical is always preceded by a warning. */
describe('LevelTracker (property 9: warning before critical or failure)', () => {
  const thresholds = fc
    .tuple(fc.double({ min: 0.05, max: 0.9, noNaN: true }), fc.double({ min: 0.01, max: 0.5, noNaN: true }))
    .map(([w, gap]) => ({ warningRatio: w, criticalRatio: Math.min(1, w + gap) }))
    .filter((t) => t.warningRatio < t.criticalRatio);
  const step = fc.oneof(
    fc.record({ kind: fc.constant('sample' as const), ratio: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ kind: fc.constant('failure' as const) }),
  );

  it('emits a warning before every critical, since the start or the last recovery', () => {
    fc.assert(
      fc.property(thresholds, fc.array(step, { maxLength: 60 }), (t, steps) => {
        const tracker = new LevelTracker(t);
        const events: LevelEvent[] = [];
        for (const s of steps) events.push(...(s.kind === 'sample' ? tracker.observe(s.ratio) : tracker.observeFailure()));
        let warned = false;
        for (const e of events) {
          if (e === 'warning') {
            expect(warned).toBe(false); // never twice without a recovery between
            warned = true;
          } else if (e === 'critical') {
            // Re-entering critical (after dipping to the warning band) reports it again, but
            // never without a warning since the start or the last recovery.
            expect(warned).toBe(true);
          } else {
            expect(warned).toBe(true); // only what was raised can recover
            warned = false;
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('has a level that matches the last sample', () => {
    fc.assert(
      fc.property(thresholds, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }), (t, ratios) => {
        const tracker = new LevelTracker(t);
        for (const r of ratios) tracker.observe(r);
        const last = ratios.at(-1)!;
        const expected = last >= t.criticalRatio ? 'critical' : last >= t.warningRatio ? 'warning' : 'normal';
        expect(tracker.level).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('turns a jump straight to critical into warning then critical', () => {
    const tracker = new LevelTracker({ warningRatio: 0.8, criticalRatio: 0.95 });
    expect(tracker.observe(0.1)).toEqual([]);
    expect(tracker.observe(0.99)).toEqual(['warning', 'critical']);
    expect(tracker.observe(0.9)).toEqual([]);
    expect(tracker.observe(0.96)).toEqual(['critical']);
    expect(tracker.observe(0.2)).toEqual(['recovered']);
    expect(tracker.observeFailure()).toEqual(['warning', 'critical']);
  });
});
