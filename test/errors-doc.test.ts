// docs/errors.md is the one table of error classes, codes, reasons and the `try:` each prints.
// It is checked against the code, so a new reason or a reworded suggestion cannot leave it behind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors/index.js';
import { COMPRESSION_SUGGESTIONS } from '../src/errors/compression-error.js';
import { EXTRACTION_SUGGESTIONS } from '../src/errors/extraction-error.js';

const doc = readFileSync(join(import.meta.dirname, '../docs/errors.md'), 'utf8');

/** The table rows of the section titled `heading`, keyed by their first cell. */
function rows(heading: string): Map<string, string[]> {
  const section = doc.split(/^## /m).find((part) => part.startsWith(heading));
  expect(section, `docs/errors.md has a section "${heading}"`).toBeDefined();
  const table = new Map<string, string[]>();
  for (const line of (section as string).split('\n')) {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
    if (cells.length > 1 && !cells[0]!.startsWith('---')) table.set(cells[0]!.replace(/`/g, ''), cells);
  }
  return table;
}

describe('docs/errors.md', () => {
  it('lists every ExtractionError reason with the suggestion it really prints', () => {
    const table = rows('`ExtractionError` reasons');
    expect([...table.keys()].filter((key) => key !== 'reason').sort()).toEqual([...errors.EXTRACTION_REASONS].sort());
    for (const reason of errors.EXTRACTION_REASONS) {
      expect(table.get(reason)?.at(-1)).toBe(EXTRACTION_SUGGESTIONS[reason]);
      expect(new errors.ExtractionError('x', { reason }).suggestion).toBe(EXTRACTION_SUGGESTIONS[reason]);
    }
  });

  it('lists every CompressionError reason with the suggestion it really prints', () => {
    const table = rows('`CompressionError` reasons');
    expect([...table.keys()].filter((key) => key !== 'reason').sort()).toEqual([...errors.COMPRESSION_REASONS].sort());
    for (const reason of errors.COMPRESSION_REASONS) expect(table.get(reason)?.at(-1)).toBe(COMPRESSION_SUGGESTIONS[reason]);
  });

  it('lists every error class with the code it really has', () => {
    const table = rows('Classes and codes');
    const made: errors.StorageError[] = [
      new errors.InsufficientStorageError({ requiredBytes: 2, availableBytes: 1, path: '/tmp' }),
      new errors.CleanupFailedError([{ path: '/tmp/x', cause: new Error('EBUSY') }]),
      new errors.ExtractionError('x', { reason: 'CORRUPT' }),
      new errors.CompressionError('x', { reason: 'WRITE_FAILED' }),
      new errors.ConfigurationError('level', 'must be 1-9', 12),
      new errors.InvalidS3KeyError('job', 'must not be empty', ''),
      new errors.MigrationError('x'),
    ];
    const exported = Object.values(errors).filter((value) => typeof value === 'function' && value.prototype instanceof errors.StorageError);
    expect(exported).toHaveLength(made.length);
    for (const error of made) expect([error.name, table.get(error.name)?.[1]]).toEqual([error.name, `\`${error.code}\``]);
  });
});
