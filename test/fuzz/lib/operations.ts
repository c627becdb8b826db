// The four operations the oracle judges, behind one small interface so the oracle's own
// tests can hand it deliberately broken ones (a hang, a leak, a raw error) and see it notice.
import { Writable } from 'node:stream';
import { StreamingExtractor } from '../../../src/extract/index.js';
import type { ArchiveEntry, ArchiveSource } from '../../../src/extract/types.js';
import type { ExtractionLimits } from '../../../src/extract/policy/limits.js';
import { repackage } from '../../../src/repackage/index.js';

/** What each operation receives. */
export interface OperationInput {
  /** A fresh source each call (a stream can be read once). */
  source: () => ArchiveSource;
  limits: Partial<ExtractionLimits> | undefined;
  signal: AbortSignal;
}

/** The operations under test. */
export interface FuzzOperations {
  getArchiveInfo(input: OperationInput): Promise<unknown>;
  entries(input: OperationInput): AsyncIterable<ArchiveEntry>;
  extractStreaming(input: OperationInput, destination: string): Promise<unknown>;
  /** Resolves with the bytes the result says it wrote. */
  repackage(input: OperationInput, output: Writable): Promise<{ bytesOut: number }>;
}

/** The library's own operations. */
export const realOperations: FuzzOperations = {
  getArchiveInfo: ({ source, limits, signal }) => new StreamingExtractor(limits ? { limits } : {}).getArchiveInfo(source(), { signal }),
  entries: ({ source, limits, signal }) => new StreamingExtractor(limits ? { limits } : {}).entries(source(), { signal }),
  extractStreaming: ({ source, limits, signal }, destination) => new StreamingExtractor(limits ? { limits } : {}).extractStreaming(source(), destination, { signal }),
  repackage: ({ source, limits, signal }, output) => repackage({ source: source(), output, signal, ...(limits ? { limits } : {}) }),
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
