import { describe, expect, it } from 'vitest';
import { ExtractionError } from '../../../src/errors/index.js';
import {
  DEFAULT_LIMITS,
  checkHardlinkTarget,
  checkSymlinkTarget,
  normalizeEntryPath,
  sanitizeMode,
} from '../../../src/extract/index.js';
import { estimateFromIsize } from '../../../src/extract/space-estimate.js';
import { checkLayout } from '../../../src/extract/readers/zip-layout.js';
import { GiB } from '../../../src/units.js';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ExtractionError);
    return (error as ExtractionError).reason;
  }
}

describe('normalizeEntryPath', () => {
  it.each([
    ['a/b/c.txt', 'a/b/c.txt'],
    ['./a//b/./c', 'a/b/c'],
    ['dir/', 'dir'],
    ['./', ''],
    ['ünïcødé/日本語.txt', 'ünïcødé/日本語.txt'],
  ])('keeps %j as %j', (input, expected) => {
    expect(normalizeEntryPath(input, DEFAULT_LIMITS)).toBe(expected);
  });

  it.each([
    ['../x', 'PATH_TRAVERSAL'],
    ['a/../../x', 'PATH_TRAVERSAL'],
    ['a/..', 'PATH_TRAVERSAL'],
    ['..\\..\\x', 'PATH_TRAVERSAL'],
    ['/etc/passwd', 'ABSOLUTE_PATH'],
    ['C:\\Windows\\x', 'ABSOLUTE_PATH'],
    ['c:x', 'ABSOLUTE_PATH'],
    ['./C:../x', 'ABSOLUTE_PATH'],
    ['\\\\server\\share\\x', 'ABSOLUTE_PATH'],
    ['//server/share', 'ABSOLUTE_PATH'],
    ['a\\b', 'INVALID_NAME'],
    ['a\0b', 'INVALID_NAME'],
    ['', 'INVALID_NAME'],
    [`${'x'.repeat(256)}/y`, 'INVALID_NAME'],
    [`${'a/'.repeat(1100)}z`, 'LIMIT_EXCEEDED'],
    ['a/'.repeat(2100), 'LIMIT_EXCEEDED'],
  ])('refuses %j with %s', (input, reason) => {
    expect(reasonOf(() => normalizeEntryPath(input, DEFAULT_LIMITS))).toBe(reason);
  });
});

describe('link targets', () => {
  it('resolves symlinks from the link folder and refuses escapes', () => {
    expect(checkSymlinkTarget('lib/current', 'v2/a.so')).toBe('lib/v2/a.so');
    expect(checkSymlinkTarget('a/b/l', '../..')).toBe('');
    expect(reasonOf(() => checkSymlinkTarget('a/l', '../../x'))).toBe('LINK_ESCAPE');
    expect(reasonOf(() => checkSymlinkTarget('l', '/etc/passwd'))).toBe('LINK_ESCAPE');
    expect(reasonOf(() => checkSymlinkTarget('l', 'C:/x'))).toBe('LINK_ESCAPE');
    expect(reasonOf(() => checkSymlinkTarget('l', ''))).toBe('LINK_ESCAPE');
  });

  it('refuses hard links with .. or absolute targets', () => {
    expect(checkHardlinkTarget('b', './a.bin', DEFAULT_LIMITS)).toBe('a.bin');
    expect(reasonOf(() => checkHardlinkTarget('b', '../a', DEFAULT_LIMITS))).toBe('LINK_ESCAPE');
    expect(reasonOf(() => checkHardlinkTarget('b', '/etc/shadow', DEFAULT_LIMITS))).toBe('LINK_ESCAPE');
  });
});

describe('sanitizeMode', () => {
  it('clears setuid, setgid, sticky and group/other write, keeps owner access', () => {
    expect(sanitizeMode(0o4777, 'file')).toBe(0o755);
    expect(sanitizeMode(0o2775, 'directory')).toBe(0o755);
    expect(sanitizeMode(0o1777, 'directory')).toBe(0o755);
    expect(sanitizeMode(0o000, 'file')).toBe(0o600);
    expect(sanitizeMode(0o444, 'file')).toBe(0o644);
  });
});

describe('estimateFromIsize', () => {
  it('adds 4 GiB multiples when the compressed size proves the trailer wrapped', () => {
    expect(estimateFromIsize(2048, 100)).toEqual({ bytes: 2048, wraps: 0 });
    expect(estimateFromIsize(1000, 5 * GiB)).toEqual({ bytes: 1000 + 8 * GiB, wraps: 2 });
  });
});

describe('checkLayout', () => {
  const name = (i: number) => ['a', 'b', 'c'][i]!;
  it('refuses records that share bytes or run into the central directory', () => {
    expect(reasonOf(() => checkLayout([0, 30], [40, 80], 100, name))).toBe('OVERLAPPING_ENTRIES');
    expect(reasonOf(() => checkLayout([0], [120], 100, name))).toBe('OVERLAPPING_ENTRIES');
    // Two records at one offset: the bomb's shape.
    expect(reasonOf(() => checkLayout([50, 0, 50], [60, 40, 60], 100, name))).toBe('OVERLAPPING_ENTRIES');
  });
  it('returns where the next record starts, whatever the order of the directory', () => {
    expect([...checkLayout([40, 0], [80, 40], 100, name)]).toEqual([100, 40]);
    expect([...checkLayout([], [], 100, name)]).toEqual([]);
  });
});
