import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ExtractionError } from '../../errors/index.js';

/** Shared across one archive's entries: the overall ratio is judged on all bytes so far. */
export interface RatioLedger {
  /** Uncompressed bytes produced by every entry so far. */
  produced: number;
  /** Compressed bytes those entries occupy in the archive. */
  consumed: number;
  /** Throws when produced / consumed is over the limit. */
  check(entryPath: string): void;
}

/**
 * Verifies a zip entry's bytes as they pass: never more than the declared size (so a lying
 * header cannot inflate without bound), exactly the declared size at the end, and the
 * declared CRC-32 of what was really produced.
 *
 * @example
 * ```ts
 * pipeline(yauzlStream, new ZipEntryVerifier('a.bin', entry.uncompressedSize, entry.crc32, ledger), out);
 * ```
 */
export class ZipEntryVerifier extends Transform {
  private produced = 0;
  private crc = 0;

  constructor(
    private readonly entryPath: string,
    private readonly declaredSize: number,
    private readonly declaredCrc: number,
    private readonly ledger: RatioLedger,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.produced += chunk.length;
    this.ledger.produced += chunk.length;
    if (this.produced > this.declaredSize) {
      callback(this.sizeMismatch(`more than the declared ${this.declaredSize} bytes`));
      return;
    }
    try {
      this.ledger.check(this.entryPath);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.crc = crc32(chunk, this.crc);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.produced !== this.declaredSize) {
      callback(this.sizeMismatch(`${this.produced} bytes, declared ${this.declaredSize}`));
      return;
    }
    if (this.crc >>> 0 !== this.declaredCrc >>> 0) {
      callback(
        new ExtractionError(`CRC-32 mismatch: computed 0x${(this.crc >>> 0).toString(16)}, declared 0x${(this.declaredCrc >>> 0).toString(16)}`, {
          reason: 'CHECKSUM_MISMATCH',
          entryPath: this.entryPath,
        }),
      );
      return;
    }
    callback();
  }

  private sizeMismatch(what: string): ExtractionError {
    return new ExtractionError(`entry produced ${what}`, { reason: 'SIZE_MISMATCH', entryPath: this.entryPath });
  }
}

/**
 * The same checks as {@link ZipEntryVerifier}, on an entry's whole content at once.
 *
 * @example
 * ```ts
 * checkWholeEntry(inflateRawSync(compressed), record.uncompressedSize, record.crc32, ledger, 'a.txt');
 * ```
 */
export function checkWholeEntry(data: Buffer, declaredSize: number, declaredCrc: number, ledger: RatioLedger, entryPath: string): void {
  ledger.produced += data.length;
  if (data.length !== declaredSize) {
    const what = data.length > declaredSize ? `more than the declared ${declaredSize} bytes` : `${data.length} bytes, declared ${declaredSize}`;
    throw new ExtractionError(`entry produced ${what}`, { reason: 'SIZE_MISMATCH', entryPath });
  }
  ledger.check(entryPath);
  const crc = crc32(data);
  if (crc >>> 0 !== declaredCrc >>> 0) {
    throw new ExtractionError(`CRC-32 mismatch: computed 0x${(crc >>> 0).toString(16)}, declared 0x${(declaredCrc >>> 0).toString(16)}`, { reason: 'CHECKSUM_MISMATCH', entryPath });
  }
}
