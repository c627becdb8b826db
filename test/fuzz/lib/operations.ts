// The four operations the oracle judges, behind one small interface so the oracle's own
// tests can hand it deliberately broken ones (a hang, a leak, a raw error) and see it notice.
// How each is called (atomic, filter, cleanup callback, compression, rename...) comes from the
// case's CallVariant, so the fuzzer reaches the options users rely on, not just the defaults.
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { StreamingExtractor } from '../../../src/extract/index.js';
import type { ExtractStreamingOptions } from '../../../src/extract/streaming-extractor.js';
import type { ArchiveEntry, ArchiveSource } from '../../../src/extract/types.js';
import type { ExtractionLimits } from '../../../src/extract/policy/limits.js';
import type { ProgressListener } from '../../../src/observe/progress.js';
import { repackage } from '../../../src/repackage/index.js';
import { keepEvenLength, PLAIN_CALLS, renameOf, SELECTIVE_PATTERNS, type CallVariant } from './call-variant.js';

/** What each operation receives. */
export interface OperationInput {
  /** A fresh source each call (a stream can be read once). */
  source: () => ArchiveSource;
  limits: Partial<ExtractionLimits> | undefined;
  signal: AbortSignal;
  /** How to call it (default {@link PLAIN_CALLS}). */
  calls?: CallVariant;
  /** Progress of extractStreaming and repackage (the oracle checks it and may abort on it). */
  onProgress?: ProgressListener;
  /** The `cleanup-*` modes hand every written file here before anything else touches it. */
  onFileWritten?: (entry: ArchiveEntry, path: string) => Promise<void>;
}

/** The operations under test. */
export interface FuzzOperations {
  getArchiveInfo(input: OperationInput): Promise<unknown>;
  entries(input: OperationInput): AsyncIterable<ArchiveEntry>;
  extractStreaming(input: OperationInput, destination: string): Promise<unknown>;
  /** Resolves with the bytes the result says it wrote. */
  repackage(input: OperationInput, output: Writable): Promise<{ bytesOut: number }>;
}

function extractorFor({ limits, calls = PLAIN_CALLS }: OperationInput): StreamingExtractor {
  return new StreamingExtractor({ ...(limits ? { limits } : {}), ...(calls.extract === 'links-reject' ? { links: 'reject' as const } : {}) });
}

function extractStreaming(input: OperationInput, destination: string): Promise<unknown> {
  const mode = (input.calls ?? PLAIN_CALLS).extract;
  const common: ExtractStreamingOptions = { signal: input.signal, ...(input.onProgress ? { onProgress: input.onProgress } : {}) };
  const extractor = extractorFor(input);
  if (mode === 'selective') return extractor.extractSelective(input.source(), destination, SELECTIVE_PATTERNS, common);
  const cleanupCallback = async (entry: ArchiveEntry, path: string): Promise<void> => {
    await input.onFileWritten?.(entry, path);
    if (mode === 'cleanup-delete') await rm(path);
  };
  return extractor.extractStreaming(input.source(), destination, {
    ...common,
    ...(mode === 'atomic' ? { atomic: true } : {}),
    ...(mode === 'filter' ? { filter: keepEvenLength } : {}),
    ...(mode === 'cleanup-check' || mode === 'cleanup-delete' ? { cleanupCallback } : {}),
  });
}

function repackageInto(input: OperationInput, output: Writable): Promise<{ bytesOut: number }> {
  const calls = input.calls ?? PLAIN_CALLS;
  const rename = renameOf(calls);
  return repackage({
    source: input.source(),
    output,
    signal: input.signal,
    ...(input.limits ? { limits: input.limits } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    compression: calls.compression,
    deterministic: calls.deterministic,
    links: calls.repackageLinks,
    ...(rename ? { rename } : {}),
    ...(calls.extraEntry ? { extraEntries: [{ name: 'recipe.json', data: '{"RecipeFormatVersion":"2020-01-25"}' }] } : {}),
  });
}

/** The library's own operations. */
export const realOperations: FuzzOperations = {
  getArchiveInfo: (input) => extractorFor(input).getArchiveInfo(input.source(), { signal: input.signal }),
  entries: (input) => extractorFor(input).entries(input.source(), { signal: input.signal }),
  extractStreaming,
  repackage: repackageInto,
};

/** A Writable that discards what it is given and counts it. */
export class CountingSink extends Writable {
  /** Bytes received. */
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    callback();
  }
}
