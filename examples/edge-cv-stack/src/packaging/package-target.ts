// One target: stream the compiled model from models/compilation/<job>/<target>/ (parallel ranged
// GETs for a tarball, ranged random access for a zip) through repackage straight into a
// resumable multipart upload at
// deployments/<component>/<version>/<target>/<component>-<target>.zip, with the DDA manifest at
// the zip root and the model under <stage_type>/. No scratch disk. A failed attempt's upload
// stays open, and the next attempt (in this invocation, or the next one Step Functions retries)
// sends only the parts S3 does not already hold with the same bytes.
//
// The zip is deterministic (fixed entry times, no wall-clock time anywhere), so the same compiled
// archive, version and target always give the same bytes; its SHA-256 is taken as it streams out.
// The key is written once (immutable-artifact.ts): packaging a version again writes nothing when
// the bytes match and fails with ArtifactConflictError when they do not.
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { AbortMultipartUploadCommand, ListObjectsV2Command, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { classifyFailure, isStorageError, repackage, withRetry, type ArchiveSource, type RepackageResult, type S3PathBuilder, type StorageLogger } from 'storage-safe-archive';
import { findOpenUpload, s3RandomAccessSource, s3RangedReadStream, s3ResumableUploadStream } from 'storage-safe-archive/s3';
import { Sha256PassThrough, type ArtifactDigest } from './artifact-digest.js';
import type { DdaManifest } from './dda-manifest.js';
import { ArtifactConflictError, digestFileKey, ensureDigestFile, existingArtifactDigest, headObject, type DigestSource } from './immutable-artifact.js';

/** What one target needs. */
export interface TargetJob {
  /** S3 client. */
  s3: S3Client;
  /** Key builder of the bucket. */
  paths: S3PathBuilder;
  /** Compilation job name. */
  compilationJob: string;
  /** Neo target. */
  target: string;
  /** Greengrass component name (without the target suffix). */
  componentName: string;
  /** Component version: part of the key, so each version has its own immutable artifact. */
  componentVersion: string;
  /** The manifest to put at the zip root. */
  manifest: DdaManifest;
  /** The folder the model goes under. */
  stageType: string;
  /** Fixed entry times, so identical inputs give identical bytes. Default true (false only to show the difference). */
  deterministic?: boolean;
  /** Attempts after the first. Default 2. */
  retries?: number;
  /** Where retries and cleanups are logged. */
  logger?: StorageLogger;
  /** Cancels the work. */
  signal?: AbortSignal;
}

/** What one target produced. */
export interface PackagedTarget {
  /** The target. */
  target: string;
  /** The component version the artifact belongs to. */
  componentVersion: string;
  /** The compiled archive read. */
  sourceKey: string;
  /** The zip written. */
  key: string;
  /** `s3://bucket/key` of the zip. */
  uri: string;
  /** Zip size in bytes. */
  bytes: number;
  /** SHA-256 of the zip (hex), hashed as the bytes streamed out. */
  sha256: string;
  /** The same digest in base64, as the Greengrass recipe's `Digest` carries it. */
  sha256Base64: string;
  /** `s3://…/<zip>.sha256`: the digest in sha256sum's format, for `sha256sum -c`. */
  digestUri: string;
  /**
   * True when this run wrote the zip; false when the same bytes were already published at the
   * key (a repeated packaging of the version) and nothing was written.
   */
  written: boolean;
  /** How the existing artifact's digest was learnt, when `written` is false. */
  matchedBy?: DigestSource;
  /** The object's version id, when the bucket is versioned. */
  versionId?: string;
  /** Entries in the zip (manifest included). */
  entries: number;
  /** Milliseconds spent repackaging. */
  durationMs: number;
  /** How the zip reached S3, when this run wrote it. */
  upload?: UploadStats;
}

/** What the multipart upload of a written zip did. */
export interface UploadStats {
  /** The multipart upload that became the object. */
  uploadId: string;
  /** Parts sent by the attempt that completed the object. */
  partsUploaded: number;
  /** Parts an earlier failed attempt had sent with the same bytes, kept instead of sent again. */
  partsReused: number;
  /** Attempts it took (1 when nothing failed). */
  attempts: number;
}

const ARCHIVE_SUFFIXES = ['.tar.gz', '.tgz', '.tar', '.zip'];

/** The compiled archive under models/compilation/<job>/<target>/ (the first archive by key). */
export async function findCompiledArchive(s3: S3Client, paths: S3PathBuilder, job: string, target: string): Promise<{ key: string; size: number }> {
  const prefix = `${paths.compilationOutput(job, target)}/`;
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: paths.bucket, Prefix: prefix }));
  const archive = (listing.Contents ?? [])
    .filter((o) => ARCHIVE_SUFFIXES.some((suffix) => o.Key?.endsWith(suffix)))
    .sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''))[0];
  if (!archive?.Key) throw new Error(`no compiled model (${ARCHIVE_SUFFIXES.join(', ')}) under s3://${paths.bucket}/${prefix}; did compilation job ${job} run for ${target}?`);
  return { key: archive.Key, size: archive.Size ?? 0 };
}

/** The key of the zip of `target` in `componentVersion`. */
export function deploymentKey(paths: S3PathBuilder, componentName: string, componentVersion: string, target: string): string {
  return paths.deployment(componentName, componentVersion, target, `${componentName}-${target}.zip`);
}

/**
 * The compiled archive as repackage reads it: a tarball as one ordered stream of parallel ranged
 * GETs (one GET stream is slower than inflate), a zip as ranged random access (its directory is at
 * the end).
 */
async function openCompiledArchive(s3: S3Client, bucket: string, source: { key: string; size: number }, signal: AbortSignal | undefined): Promise<{ archive: ArchiveSource; close(): Promise<void> }> {
  if (source.key.endsWith('.zip')) {
    const archive = await s3RandomAccessSource({ client: s3, bucket, key: source.key, size: source.size });
    return { archive, close: async () => await archive.close?.() };
  }
  const archive = s3RangedReadStream({ client: s3, bucket, key: source.key, ...(signal ? { signal } : {}) });
  return { archive, close: async () => void archive.destroy() };
}

function isOutputExists(error: unknown): boolean {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    if (isStorageError(e) && (e.details as { reason?: string }).reason === 'OUTPUT_EXISTS') return true;
  }
  return false;
}

/** Packages one target, retrying transient failures; a key already published is compared, never replaced. */
export async function packageTarget(job: TargetJob): Promise<PackagedTarget> {
  const source = await findCompiledArchive(job.s3, job.paths, job.compilationJob, job.target);
  const key = deploymentKey(job.paths, job.componentName, job.componentVersion, job.target);
  const manifestJson = `${JSON.stringify(job.manifest, null, 2)}\n`;
  const bucket = job.paths.bucket;
  const uri = job.paths.toUri(key);
  const started = Date.now();

  const zipInto = (archive: ArchiveSource, output: Writable) =>
    repackage({
      source: archive,
      output,
      rename: (path) => `${job.stageType}/${path.replace(/^\.\//, '')}`,
      extraEntries: [{ name: 'manifest.json', data: manifestJson }],
      deterministic: job.deterministic ?? true,
      ...(job.signal ? { signal: job.signal } : {}),
      ...(job.logger ? { logger: job.logger } : {}),
    });

  /** This run's bytes, hashed and thrown away: what the zip would be, without writing it. */
  const digestOnly = async (archive: ArchiveSource) => {
    const digest = new Sha256PassThrough();
    digest.resume();
    const result = await zipInto(archive, digest);
    return { digest: digest.digest(), result };
  };

  const outcome = (digest: ArtifactDigest, result: RepackageResult, written: boolean, extra: Partial<PackagedTarget>): PackagedTarget => ({
    target: job.target,
    componentVersion: job.componentVersion,
    sourceKey: source.key,
    key,
    uri,
    bytes: digest.bytes,
    sha256: digest.sha256,
    sha256Base64: digest.sha256Base64,
    digestUri: job.paths.toUri(digestFileKey(key)),
    written,
    entries: result.entries,
    durationMs: Date.now() - started,
    ...extra,
  });

  /** The key is taken: the same bytes make this run a no-op, other bytes a conflict. */
  const settleExisting = async (head: HeadObjectCommandOutput, digest: ArtifactDigest, result: RepackageResult) => {
    const existing = await existingArtifactDigest(job.s3, bucket, key, head, digest.bytes);
    if (existing.sha256 !== digest.sha256) throw new ArtifactConflictError(uri, existing.sha256, digest.sha256);
    // A run that stopped between the zip and its digest file left the file to write now.
    await ensureDigestFile(job.s3, bucket, key, digest.sha256, uri);
    job.logger?.info('artifact already published with the same SHA-256; nothing written', { key, sha256: digest.sha256, matchedBy: existing.from });
    return outcome(digest, result, false, { matchedBy: existing.from, ...(head.VersionId ? { versionId: head.VersionId } : {}) });
  };

  // The open upload of the last failed attempt, resumed by the next. The first attempt looks for
  // one a previous invocation left (a Lambda timed out or retried by Step Functions).
  let resumeId: string | undefined;
  let lookedForOpenUpload = false;
  let attempts = 0;
  const findResumable = async (): Promise<string | undefined> => {
    if (lookedForOpenUpload) return resumeId;
    lookedForOpenUpload = true;
    try {
      const found = await findOpenUpload({ client: job.s3, bucket, key });
      if (found) job.logger?.info('resuming the multipart upload a previous run left open', { key, uploadId: found });
      return found;
    } catch (error) {
      job.logger?.warn('cannot list open multipart uploads; starting a new one', { key, error: (error as Error).message });
      return undefined;
    }
  };

  try {
    return await withRetry(
      async () => {
        attempts++;
        const head = await headObject(job.s3, bucket, key);
        const opened = await openCompiledArchive(job.s3, bucket, source, job.signal);
        try {
          if (head) {
            const { digest, result } = await digestOnly(opened.archive);
            return await settleExisting(head, digest, result);
          }
          resumeId = await findResumable();
          // S3 refuses to replace the key if another writer got there since the HEAD (412).
          const upload = s3ResumableUploadStream({ client: job.s3, bucket, key, checksumAlgorithm: 'SHA256', ifNoneMatch: '*', ...(resumeId ? { uploadId: resumeId } : {}) });
          const digest = new Sha256PassThrough();
          const sent = pipeline(digest, upload);
          sent.catch(() => undefined);
          let result: RepackageResult | undefined;
          try {
            result = await zipInto(opened.archive, digest);
            await sent;
            const uploaded = await upload.done();
            resumeId = undefined;
            const streamed = digest.digest();
            if (streamed.sha256 !== result.sha256) throw new Error(`the zip's two digests differ (${streamed.sha256} streamed, ${result.sha256} from repackage): a bug, not a transient failure`);
            await ensureDigestFile(job.s3, bucket, key, streamed.sha256, uri);
            if (uploaded.partsReused > 0) job.logger?.info('resumed upload completed', { key, partsReused: uploaded.partsReused, partsUploaded: uploaded.partsUploaded });
            const stats: UploadStats = { uploadId: uploaded.uploadId, partsUploaded: uploaded.partsUploaded, partsReused: uploaded.partsReused, attempts };
            return outcome(streamed, result, true, { upload: stats, ...(uploaded.versionId ? { versionId: uploaded.versionId } : {}) });
          } catch (error) {
            // Kept for the next attempt, which sends only what S3 lacks. (A taken key aborted it.)
            resumeId = upload.uploadId;
            if (!isOutputExists(error)) throw error;
            resumeId = undefined;
            const taken = await headObject(job.s3, bucket, key);
            if (!taken) throw error;
            job.logger?.warn('the key was published by another writer during this upload; comparing', { key });
            if (result && digest.readableEnded) return await settleExisting(taken, digest.digest(), result);
            const again = await openCompiledArchive(job.s3, bucket, source, job.signal);
            try {
              const redone = await digestOnly(again.archive);
              return await settleExisting(taken, redone.digest, redone.result);
            } finally {
              await again.close();
            }
          }
        } finally {
          await opened.close();
        }
      },
      {
        retries: job.retries ?? 2,
        minTimeoutMs: 200,
        ...(job.signal ? { signal: job.signal } : {}),
        ...(job.logger ? { logger: job.logger } : {}),
        // Nothing to clean between attempts: a failed upload stays open for the next attempt to
        // resume, and a completed one is never deleted (the next attempt compares it instead).
      },
    );
  } catch (error) {
    // A transient failure keeps its upload for the retry Step Functions makes; one no retry can
    // mend (a corrupt archive, a conflict) aborts it now rather than leave it to the lifecycle rule.
    if (resumeId && classifyFailure(error) === 'permanent') {
      await job.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: resumeId })).catch((e: unknown) => job.logger?.warn('cannot abort the failed upload; the lifecycle rule will', { key, error: (e as Error).message }));
    }
    throw error;
  }
}
