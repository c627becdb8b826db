// Properties of the pure policy over arbitrary names: whatever an archive says, an accepted
// name stays inside the destination, and an accepted link target does too.
import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExtractionError } from '../../../src/errors/index.js';
import { DEFAULT_LIMITS, checkSymlinkTarget, normalizeEntryPath } from '../../../src/extract/index.js';

// Names built from the pieces attacks are made of, plus arbitrary unicode.
const piece = fc.oneof(
  fc.constantFrom('..', '.', '', '/', '\\', 'C:', '//', '\0', 'a', 'ü', '..\\', '../'),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const name = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));

function accepted<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ExtractionError);
    return undefined;
  }
}

describe('policy properties', () => {
  it('an accepted entry name is relative, has no dot segments, no backslash or NUL, and joins inside the root', () => {
    fc.assert(
      fc.property(name, (raw) => {
        const out = accepted(() => normalizeEntryPath(raw, DEFAULT_LIMITS));
        if (out === undefined || out === '') return;
        expect(out.startsWith('/')).toBe(false);
        expect(out.split('/')).not.toContain('..');
        expect(out.split('/')).not.toContain('.');
        expect(out).not.toMatch(/[\\\0]/);
        expect(out).not.toMatch(/^[A-Za-z]:/);
        expect(posix.join('/dest', out).startsWith('/dest/')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('an accepted symlink target resolves inside the root from the link folder', () => {
    fc.assert(
      fc.property(name, name, (linkRaw, target) => {
        const link = accepted(() => normalizeEntryPath(linkRaw, DEFAULT_LIMITS));
        if (link === undefined || link === '') return;
        const resolved = accepted(() => checkSymlinkTarget(link, target));
        if (resolved === undefined) return;
        const absolute = posix.resolve('/dest', posix.dirname(link), target);
        expect(absolute === '/dest' || absolute.startsWith('/dest/')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
