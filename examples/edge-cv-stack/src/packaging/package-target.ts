// One target: stream the compiled model from models/compilation/<job>/<target>/ through
// repackage straight into a multipart upload at deployments/<component>/<target>/<component>-<target>.zip,
// with the DDA manifest at the zip root and the model under <stage_type>/. No scratch disk.
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { repackage, withRetry, type S3PathBuilder, type StorageLogger } from 'storage-safe-archive';
import { s3RandomAccessSource, s3UploadStream } from 'storage-safe-archive/s3';
import type { DdaManifest } from './dda-manifest.js';

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
  /** The manifest to put at the zip root. */
  manifest: DdaManifest;
  /** The folder the model goes under. */
  stageType: string;
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
  /** The compiled archive read. */
  sourceKey: string;
  /** The zip written. */
  key: string;
  /** `s3://bucket/key` of the zip. */
  uri: string;
  /** Zip size in bytes. */
  bytes: number;
  /** SHA-256 of the zip (hex), hashed by repackage as the bytes went out. */
  sha256: string;
  /** Entries in the zip (manifest included). */
  entries: number;
  /** Milliseconds spent repackaging. */
  durationMs: number;
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

/** The key of the zip of `target`. */
export function deploymentKey(paths: S3PathBuilder, componentName: string, target: string): string {
  return paths.deployment(componentName, target, `${componentName}-${target}.zip`);
}

/** Packages one target, retrying with cleanup (the partial upload is aborted, a stale object removed). */
export async function packageTarget(job: TargetJob): Promise<PackagedTarget> {
  const source = await findCompiledArchive(job.s3, job.paths, job.compilationJob, job.target);
  const key = deploymentKey(job.paths, job.componentName, job.target);
  const manifestJson = `${JSON.stringify(job.manifest, null, 2)}\n`;
  return withRetry(
    async () => {
      const archive = await s3RandomAccessSource({ client: job.s3, bucket: job.paths.bucket, key: source.key, size: source.size });
      const upload = s3UploadStream({ client: job.s3, bucket: job.paths.bucket, key });
      try {
        const result = await repackage({
          source: archive,
          output: upload,
          rename: (path) => `${job.stageType}/${path.replace(/^\.\//, '')}`,
          extraEntries: [{ name: 'manifest.json', data: manifestJson }],
          ...(job.signal ? { signal: job.signal } : {}),
          ...(job.logger ? { logger: job.logger } : {}),
        });
        await upload.done();
        return { target: job.target, sourceKey: source.key, key, uri: job.paths.toUri(key), bytes: result.bytesOut, sha256: result.sha256, entries: result.entries, durationMs: result.durationMs };
      } finally {
        await archive.close?.();
      }
    },
    {
      retries: job.retries ?? 2,
      minTimeoutMs: 200,
      ...(job.signal ? { signal: job.signal } : {}),
      ...(job.logger ? { logger: job.logger } : {}),
      // A failed attempt may have completed an upload of a broken zip before failing later on.
      cleanup: () => job.s3.send(new DeleteObjectCommand({ Bucket: job.paths.bucket, Key: key })),
    },
  );
}
