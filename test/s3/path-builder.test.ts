import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidS3KeyError } from '../../src/errors/index.js';
import { S3PathBuilder, sanitizeName, resolveLegacyKey } from '../../src/s3/layout.js';
import { assertKey } from '../../src/s3/key-rules.js';

const paths = new S3PathBuilder({ bucket: 'edge-cv', prefix: 'tenants/acme' });
const bare = new S3PathBuilder({ bucket: 'edge-cv' });

function thrown(fn: () => unknown): InvalidS3KeyError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidS3KeyError) return error;
    throw error;
  }
  throw new Error('expected InvalidS3KeyError');
}

describe('S3PathBuilder', () => {
  it('builds each top-level folder under the prefix', () => {
    expect(paths.dataset('cats & dogs', 'images', 'ü 1.jpg')).toBe('tenants/acme/datasets/cats & dogs/images/ü 1.jpg');
    expect(paths.trainingOutput('yolo-1', 'output', 'model.tar.gz')).toBe('tenants/acme/models/training/yolo-1/output/model.tar.gz');
    expect(paths.compilationOutput('neo-1', 'jetson_xavier', 'model.tar.gz')).toBe('tenants/acme/models/compilation/neo-1/jetson_xavier/model.tar.gz');
    expect(paths.deployment('cam-v2', 'component.zip')).toBe('tenants/acme/deployments/cam-v2/component.zip');
    expect(bare.trainingOutput('j')).toBe('models/training/j');
  });

  it('returns full s3:// URIs', () => {
    expect(paths.toUri(paths.deployment('cam-v2'))).toBe('s3://edge-cv/tenants/acme/deployments/cam-v2');
  });

  it.each([
    ['empty segment', () => paths.dataset('a', ''), 'rest[0]', 'must not be empty'],
    ['slash in a segment', () => paths.dataset('a/b'), 'name', 'must not contain "/"'],
    ['control character', () => paths.dataset('a\u0007'), 'name', 'control characters'],
    ['avoided character', () => paths.deployment('a#b'), 'name', 'AWS advises avoiding'],
    ['dot segment', () => paths.dataset('x', '..'), 'rest[0]', '"." or ".."'],
    ['bad job name', () => paths.trainingOutput('job_1'), 'job', 'SageMaker'],
    ['job name too long', () => paths.trainingOutput('a'.repeat(64)), 'job', 'SageMaker'],
    ['bad target', () => paths.compilationOutput('j', 'x y'), 'target', 'Neo target'],
    ['leading slash prefix', () => new S3PathBuilder({ bucket: 'edge-cv', prefix: '/x' }), 'prefix', 'must not start with "/"'],
    ['double slash prefix', () => new S3PathBuilder({ bucket: 'edge-cv', prefix: 'a//b' }), 'prefix', '"//"'],
    ['bad bucket', () => new S3PathBuilder({ bucket: 'Edge_CV' }), 'bucket', 'bucket names'],
  ])('refuses %s, naming the field and the rule', (_, fn, field, rule) => {
    const error = thrown(fn);
    expect(error.field).toBe(field);
    expect(error.rule).toContain(rule);
    expect(error.code).toBe('INVALID_S3_KEY');
  });

  it('accepts a key of exactly 1,024 UTF-8 bytes and refuses 1,025', () => {
    // 'datasets/d/' is 11 bytes, each 'é' is 2.
    const fits = bare.dataset('d', `${'é'.repeat(506)}x`);
    expect(Buffer.byteLength(fits)).toBe(1024);
    const error = thrown(() => bare.dataset('d', `${'é'.repeat(506)}xy`));
    expect(error.rule).toContain('1024 UTF-8 bytes');
  });

  it('parses keys and URIs back, legacy keys with their new equivalent, and unknown keys', () => {
    expect(paths.parse('s3://edge-cv/tenants/acme/models/compilation/n/LINUX_ARM64/a/b')).toEqual({
      kind: 'compilation',
      key: 'tenants/acme/models/compilation/n/LINUX_ARM64/a/b',
      job: 'n',
      target: 'LINUX_ARM64',
      rest: ['a', 'b'],
    });
    const legacy = paths.parse('tenants/acme/datasets/x/y/training-output/j1/output/model.tar.gz');
    expect(legacy).toMatchObject({ kind: 'legacy', rule: 'training-output', newKey: 'tenants/acme/models/training/j1/output/model.tar.gz' });
    expect(legacy.kind === 'legacy' && legacy.resolved).toMatchObject({ kind: 'training', job: 'j1', rest: ['output', 'model.tar.gz'] });
    expect(paths.parse('tenants/acme/tmp/x')).toEqual({ kind: 'unknown', key: 'tenants/acme/tmp/x' });
    expect(paths.parse('other/models/training/j')).toEqual({ kind: 'unknown', key: 'other/models/training/j' });
    expect(() => paths.parse('s3://another/x')).toThrow(InvalidS3KeyError);
  });
});

// Every character sanitizeName must handle, plus the rest of the BMP and beyond (fast-check's
// 'binary' unit is correct but takes seconds to generate here).
const anyChar = fc.oneof(
  fc.constantFrom(...'/\\{}^%`[]"<>~#|.- \t\n\u0000\u007f\u0085\u00a0\u3000'.split('')),
  fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);

describe('sanitizeName', () => {
  it('turns anything into a valid segment, explicitly', () => {
    expect(sanitizeName('cats / dogs {v2}')).toBe('cats-dogs-v2');
    expect(sanitizeName('..')).toBe('unnamed');
    fc.assert(
      fc.property(fc.string({ unit: anyChar, maxLength: 300 }), (s) => {
        const name = sanitizeName(s);
        expect(() => bare.dataset(name)).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });
});

// Segments as users write them: unicode, spaces, punctuation AWS allows.
const segment = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019 -_.()!é漢😀'.split(/(?:)/u)), minLength: 1, maxLength: 12 })
  .filter((s) => s !== '.' && s !== '..' && !['training-output', 'compilation-output'].includes(s));
const job = fc.stringMatching(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,20}$/);
const target = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/);
const rest = fc.array(segment, { maxLength: 4 });
const prefix = fc.option(fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 3 }).map((p) => p.join('/')), { nil: undefined });

type Built = { kind: 'dataset' | 'deployment'; name: string; rest: string[] } | { kind: 'training'; job: string; rest: string[] } | { kind: 'compilation'; job: string; target: string; rest: string[] };
const built: fc.Arbitrary<Built> = fc.oneof(
  fc.record({ kind: fc.constant('dataset' as const), name: segment, rest }),
  fc.record({ kind: fc.constant('deployment' as const), name: segment, rest }),
  fc.record({ kind: fc.constant('training' as const), job, rest }),
  fc.record({ kind: fc.constant('compilation' as const), job, target, rest }),
);

function build(b: S3PathBuilder, x: Built): string {
  switch (x.kind) {
    case 'dataset':
      return b.dataset(x.name, ...x.rest);
    case 'deployment':
      return b.deployment(x.name, ...x.rest);
    case 'training':
      return b.trainingOutput(x.job, ...x.rest);
    case 'compilation':
      return b.compilationOutput(x.job, x.target, ...x.rest);
  }
}

describe('properties', () => {
  it('parse(build(x)) returns x, and every built key is valid', () => {
    fc.assert(
      fc.property(prefix, built, (p, x) => {
        const b = new S3PathBuilder({ bucket: 'edge-cv', prefix: p });
        const key = build(b, x);
        expect(() => assertKey('key', key)).not.toThrow();
        expect(key.includes('//') || key.startsWith('/') || key.endsWith('/')).toBe(false);
        expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
        expect(b.parse(key)).toEqual({ ...x, key });
        expect(b.parse(b.toUri(key))).toEqual({ ...x, key });
        // A built key is in the layout: legacy resolution leaves it where it is.
        expect(resolveLegacyKey(key, undefined, { prefix: p })).toBe(key);
      }),
      { numRuns: 200 },
    );
  });
});
