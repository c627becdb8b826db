// The S3 calls the engine makes, each behind retries: paged listing in key order, HEAD,
// server-side copy (CopyObject, or UploadPartCopy above a threshold), verification and delete.
// The SDK is an optional peer dependency, so its commands are loaded when first needed.
import { createHash } from 'node:crypto';
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { retryThrottled, type RetryPolicy } from './retry.js';

type S3Module = typeof import('@aws-sdk/client-s3');
let s3Module: Promise<S3Module> | undefined;
function sdk(): Promise<S3Module> {
  s3Module ??= import('@aws-sdk/client-s3');
  return s3Module;
}

/** One listed object. */
export interface ListedObject {
  /** The key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** The ETag, quotes included. */
  etag: string;
}

/** The S3 side of the engine: one client, one bucket, one retry policy. */
export class BucketObjects {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
    readonly policy: RetryPolicy,
  ) {}

  private send<T>(make: (m: S3Module) => object): Promise<T> {
    // The client's `send` is overloaded per command; one loosely typed call site keeps the
    // commands themselves fully typed where they are built.
    const send = this.s3.send.bind(this.s3) as unknown as (command: object, options: { abortSignal?: AbortSignal }) => Promise<T>;
    return retryThrottled(async () => send(make(await sdk()), { abortSignal: this.policy.signal }), this.policy);
  }

  /** The same bucket with another retry policy (journal writes must outlive a cancelled step). */
  withPolicy(policy: RetryPolicy): BucketObjects {
    return new BucketObjects(this.s3, this.bucket, policy);
  }

  /** Every object under `prefix` by key: one listing instead of a HEAD per object. */
  async snapshot(prefix: string): Promise<Map<string, ListedObject>> {
    return new Map((await this.list(prefix)).map((o) => [o.key, o]));
  }

  /** Every object under `prefix`, page by page (ListObjectsV2 continuation tokens). */
  async list(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.send<import('@aws-sdk/client-s3').ListObjectsV2CommandOutput>(
        (m) => new m.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '' });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  /** HEAD of `key` (with its additional checksum, when it has one), or `undefined` when it does not exist. */
  async head(key: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.send<HeadObjectCommandOutput>((m) => new m.HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }));
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  /** Reads a small object whole (journal segments, plans), or `undefined` when missing. */
  async getText(key: string): Promise<string | undefined> {
    try {
      const out = await this.send<import('@aws-sdk/client-s3').GetObjectCommandOutput>(
        (m) => new m.GetObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** Writes a small object (journal segments, plans). */
  async putText(key: string, body: string, contentType = 'application/x-ndjson'): Promise<void> {
    await this.send((m) => new m.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** Deletes `key` (S3 answers success when it is already gone). */
  async delete(key: string): Promise<void> {
    await this.send((m) => new m.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** SHA-256 of an object's bytes, streamed (never held in memory). */
  async sha256(key: string): Promise<string> {
    return retryThrottled(async () => {
      const { GetObjectCommand } = await sdk();
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: this.policy.signal });
      const hash = createHash('sha256');
      for await (const chunk of out.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
      return hash.digest('hex');
    }, this.policy);
  }

  /** The object's tags (an empty list when it has none). */
  async tags(key: string): Promise<{ Key: string; Value: string }[]> {
    const out = await this.send<import('@aws-sdk/client-s3').GetObjectTaggingCommandOutput>((m) => new m.GetObjectTaggingCommand({ Bucket: this.bucket, Key: key }));
    return (out.TagSet ?? []).flatMap((t) => (t.Key === undefined ? [] : [{ Key: t.Key, Value: t.Value ?? '' }]));
  }

  /**
   * Server-side copy of `source` to `target` keeping content type, metadata, encoding,
   * encryption, storage class, tags and the kind of additional checksum. CopyObject up to
   * `multipartThresholdBytes`, UploadPartCopy above it (CopyObject refuses sources over 5 GiB).
   */
  async copy(
    source: HeadObjectCommandOutput & { key: string },
    target: string,
    sizing: { thresholdBytes: number; partSizeBytes: number },
  ): Promise<{ method: 'copy' | 'multipart'; etag: string | undefined }> {
    const size = source.ContentLength ?? 0;
    const copySource = encodeCopySource(this.bucket, source.key);
    // MetadataDirective COPY keeps content type and user metadata; encryption is not copied by
    // S3 unless it is asked for again, so the source's settings are passed on explicitly. Nor
    // are the storage class (a copy is STANDARD unless told otherwise) and the checksum kind
    // (S3 computes a checksum of the requested algorithm anew for the copy's bytes).
    const carried = {
      ServerSideEncryption: source.ServerSideEncryption,
      SSEKMSKeyId: source.SSEKMSKeyId,
      BucketKeyEnabled: source.BucketKeyEnabled,
      ...(source.StorageClass ? { StorageClass: source.StorageClass } : {}),
      ...(checksumAlgorithmOf(source) ? { ChecksumAlgorithm: checksumAlgorithmOf(source) } : {}),
    };
    if (size <= sizing.thresholdBytes) {
      const out = await this.send<import('@aws-sdk/client-s3').CopyObjectCommandOutput>((m) =>
        // TaggingDirective COPY (S3's default, said explicitly): the tags come with the object.
        new m.CopyObjectCommand({ Bucket: this.bucket, Key: target, CopySource: copySource, MetadataDirective: 'COPY', TaggingDirective: 'COPY', ...carried }),
      );
      return { method: 'copy', etag: out.CopyObjectResult?.ETag };
    }
    const etag = await this.multipartCopy(source, target, copySource, size, sizing.partSizeBytes, carried);
    return { method: 'multipart', etag };
  }

  private async multipartCopy(
    source: HeadObjectCommandOutput & { key: string },
    target: string,
    copySource: string,
    size: number,
    partSize: number,
    carried: Record<string, unknown>,
  ): Promise<string | undefined> {
    const created = await this.send<import('@aws-sdk/client-s3').CreateMultipartUploadCommandOutput>(
      (m) =>
        new m.CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: target,
          ContentType: source.ContentType,
          ContentEncoding: source.ContentEncoding,
          ContentDisposition: source.ContentDisposition,
          ContentLanguage: source.ContentLanguage,
          CacheControl: source.CacheControl,
          Metadata: source.Metadata,
          ...carried,
        }),
    );
    const uploadId = created.UploadId;
    try {
      // A multipart upload copies no tags: they are read here and set on the finished copy.
      const tags = await this.tags(source.key);
      const parts: ({ ETag: string | undefined; PartNumber: number } & PartChecksums)[] = [];
      for (let start = 0, n = 1; start < size; start += partSize, n++) {
        const end = Math.min(size, start + partSize) - 1;
        const out = await this.send<import('@aws-sdk/client-s3').UploadPartCopyCommandOutput>(
          (m) =>
            new m.UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: target,
              UploadId: uploadId,
              PartNumber: n,
              CopySource: copySource,
              CopySourceRange: `bytes=${start}-${end}`,
            }),
        );
        // An upload created with a checksum algorithm must list each part's checksum on completion.
        parts.push({ ETag: out.CopyPartResult?.ETag, PartNumber: n, ...partChecksums(out.CopyPartResult) });
      }
      const done = await this.send<import('@aws-sdk/client-s3').CompleteMultipartUploadCommandOutput>((m) =>
        new m.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: target, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
      if (tags.length > 0) {
        await this.send((m) => new m.PutObjectTaggingCommand({ Bucket: this.bucket, Key: target, Tagging: { TagSet: tags } }));
      }
      return done.ETag;
    } catch (error) {
      // Leave no invisible, billed parts behind.
      await this.send((m) => new m.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: target, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  }
}

/** The per-part checksums S3 returns for a part copied into an upload that has a checksum algorithm. */
type PartChecksums = Partial<Record<'ChecksumCRC32' | 'ChecksumCRC32C' | 'ChecksumCRC64NVME' | 'ChecksumSHA1' | 'ChecksumSHA256', string>>;

function partChecksums(result: PartChecksums | undefined): PartChecksums {
  const out: PartChecksums = {};
  for (const name of ['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256'] as const) {
    if (result?.[name]) out[name] = result[name];
  }
  return out;
}

/** HEAD fields naming an additional checksum, and the algorithm each one is. */
const CHECKSUM_FIELDS = [
  ['ChecksumSHA256', 'SHA256'],
  ['ChecksumSHA1', 'SHA1'],
  ['ChecksumCRC32C', 'CRC32C'],
  ['ChecksumCRC32', 'CRC32'],
  ['ChecksumCRC64NVME', 'CRC64NVME'],
] as const;

/**
 * The additional checksum algorithm an object has (from a HEAD with `ChecksumMode: ENABLED`),
 * so its copy is given one of the same kind; `undefined` when it has none.
 */
export function checksumAlgorithmOf(head: Partial<Record<(typeof CHECKSUM_FIELDS)[number][0], string>>): (typeof CHECKSUM_FIELDS)[number][1] | undefined {
  return CHECKSUM_FIELDS.find(([field]) => head[field] !== undefined && head[field] !== '')?.[1];
}

/** `x-amz-copy-source`: bucket and key URL-encoded segment by segment (S3 requires it encoded). */
export function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Whether an ETag is an MD5 of the bytes (single-part upload, not KMS-encrypted). */
export function isPlainMd5Etag(etag: string | undefined, encryption?: string): boolean {
  return etag !== undefined && /^"?[0-9a-f]{32}"?$/i.test(etag) && encryption !== 'aws:kms' && encryption !== 'aws:kms:dsse';
}
