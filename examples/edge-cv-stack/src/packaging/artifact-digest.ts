// The SHA-256 of a packaged zip, taken from the bytes as they stream to S3: a pass-through on the
// zip output hashes and counts every chunk on its way to the upload, so the digest is known the
// moment the last byte leaves, whether or not S3 then accepts the object, and nothing is read
// back. Greengrass wants the same digest in base64 (its nucleus compares
// `Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest())` with the
// recipe's `Digest`); sha256sum and the report use hex.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** The digest of an artifact in both spellings, and its size. */
export interface ArtifactDigest {
  /** Lowercase hex SHA-256 (sha256sum, the report, DynamoDB). */
  sha256: string;
  /** Standard base64 of the same 32 bytes (the Greengrass recipe's `Digest`). */
  sha256Base64: string;
  /** Bytes hashed. */
  bytes: number;
}

/** The algorithm name Greengrass recipes use for {@link ArtifactDigest.sha256Base64}. */
export const GREENGRASS_DIGEST_ALGORITHM = 'SHA-256';

/** Base64 of a hex SHA-256, as Greengrass writes it. */
export function hexToBase64(hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a lowercase hex SHA-256: ${JSON.stringify(hex)}`);
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Passes bytes through unchanged, hashing and counting them; {@link digest} once it has ended. */
export class Sha256PassThrough extends Transform {
  readonly #hash = createHash('sha256');
  #bytes = 0;
  #digest: ArtifactDigest | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const raw = this.#hash.digest();
    this.#digest = { sha256: raw.toString('hex'), sha256Base64: raw.toString('base64'), bytes: this.#bytes };
    callback();
  }

  /** The digest of everything that went through; throws before the stream has ended. */
  digest(): ArtifactDigest {
    if (!this.#digest) throw new Error('the digest is known only once the zip has been written whole');
    return this.#digest;
  }
}
