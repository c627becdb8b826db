import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEGACY_RULES, matchLegacyKey, resolveLegacyKey, type LegacyRule } from '../../src/s3/layout.js';

describe('resolveLegacyKey', () => {
  it.each([
    ['datasets/cats/training-output/yolo-1/output/model.tar.gz', 'models/training/yolo-1/output/model.tar.gz'],
    ['datasets/a/b c/training-output/yolo-1/output/model.tar.gz', 'models/training/yolo-1/output/model.tar.gz'],
    ['datasets/cats/compilation-output/neo-1/model-LINUX_ARM64_NVIDIA.tar.gz', 'models/compilation/neo-1/LINUX_ARM64_NVIDIA/model-LINUX_ARM64_NVIDIA.tar.gz'],
    ['datasets/cats/compilation-output/neo-1/x/model-jetson_xavier.tar.gz', 'models/compilation/neo-1/jetson_xavier/x/model-jetson_xavier.tar.gz'],
    ['model_artifacts/model-42/42_greengrass_model_component.zip', 'deployments/model-42/42_greengrass_model_component.zip'],
    ['datasets//cats//training-output/j/output//model.tar.gz', 'models/training/j/output/model.tar.gz'],
    ['datasets/cats//images/ü 1.jpg', 'datasets/cats/images/ü 1.jpg'],
    ['/datasets/cats/a.jpg', 'datasets/cats/a.jpg'],
  ])('maps %s', (key, expected) => {
    expect(resolveLegacyKey(key)).toBe(expected);
  });

  it('returns keys already in the layout unchanged and null for unmatched keys', () => {
    expect(resolveLegacyKey('models/training/j/output/model.tar.gz')).toBe('models/training/j/output/model.tar.gz');
    expect(resolveLegacyKey('datasets/cats/images/1.jpg')).toBe('datasets/cats/images/1.jpg');
    expect(resolveLegacyKey('tmp/notes.txt')).toBeNull();
    expect(resolveLegacyKey('tmp//notes.txt')).toBeNull();
    expect(resolveLegacyKey('datasets/cats/compilation-output/neo-1/readme.txt')).toBeNull();
    expect(resolveLegacyKey('models/other/x')).toBeNull();
  });

  it('works under a prefix and ignores keys outside it', () => {
    expect(resolveLegacyKey('t/a/model_artifacts/model-1/c.zip', undefined, { prefix: 't/a' })).toBe('t/a/deployments/model-1/c.zip');
    expect(resolveLegacyKey('model_artifacts/model-1/c.zip', undefined, { prefix: 't/a' })).toBeNull();
  });

  it('takes user rules as data, after or before the defaults', () => {
    const rules: LegacyRule[] = [...DEFAULT_LEGACY_RULES, { name: 'exports', pattern: '^exports/(?<name>[^/]+)/(?<rest>.+)$', target: 'deployments/{name}/{rest}' }];
    expect(matchLegacyKey('exports/cam/v1/pkg.zip', rules)).toEqual({ key: 'deployments/cam/v1/pkg.zip', rule: 'exports' });
    expect(resolveLegacyKey('exports/cam/v1/pkg.zip')).toBeNull();
    // The rule list round-trips through JSON: it is data.
    expect(JSON.parse(JSON.stringify(rules))).toEqual(rules);
  });
});

const seg = fc.string({ unit: fc.constantFrom(...'ab9 -_.é漢'.split(/(?:)/u)), minLength: 1, maxLength: 8 }).filter((s) => s !== '.' && s !== '..');
const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map((p) => p.join('/'));
const job = fc.stringMatching(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,10}$/);
const target = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_]{0,10}$/);
// Any key, legacy shapes included, with some `//` sprinkled in.
const anyKey = fc
  .oneof(
    fc.tuple(path, job, path).map(([a, j, r]) => `datasets/${a}/training-output/${j}/${r}`),
    fc.tuple(path, job, fc.option(path), target, seg).map(([a, j, d, t, e]) => `datasets/${a}/compilation-output/${j}/${d ? `${d}/` : ''}model-${t}.${e}`),
    fc.tuple(seg, path).map(([id, r]) => `model_artifacts/model-${id}/${r}`),
    path,
    path.map((p) => `datasets/${p}`),
  )
  .chain((k) => fc.boolean().map((dbl) => (dbl ? k.replace('/', '//') : k)));

describe('properties', () => {
  it('is idempotent: a resolved key resolves to itself', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const once = resolveLegacyKey(key);
        if (once !== null) expect(resolveLegacyKey(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('never drops the remainder after the job or id folder', () => {
    fc.assert(
      fc.property(path, job, path, (anything, j, rest) => {
        expect(resolveLegacyKey(`datasets/${anything}/training-output/${j}/${rest}`)).toBe(`models/training/${j}/${rest}`);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(seg, path, (id, rest) => {
        expect(resolveLegacyKey(`model_artifacts/model-${id}/${rest}`)).toBe(`deployments/model-${id}/${rest}`);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(path, job, fc.option(path, { nil: undefined }), target, seg, (anything, j, dir, t, ext) => {
        const rest = `${dir ? `${dir}/` : ''}model-${t}.${ext}`;
        expect(resolveLegacyKey(`datasets/${anything}/compilation-output/${j}/${rest}`)).toBe(`models/compilation/${j}/${t}/${rest}`);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the last segment (the file name) of every key it resolves', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const out = resolveLegacyKey(key);
        if (out !== null) expect(out.split('/').at(-1)).toBe(key.split('/').at(-1));
      }),
      { numRuns: 100 },
    );
  });
});
