// Where a job's output really is during the layout migration: a job
// created before the migration reports a legacy key; its object may already have been copied to
// the new layout, or not yet. The answer names the new-layout URI always, the legacy one when
// there is one, and which of the two holds the object now.
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { S3PathBuilder } from 'storage-safe-archive';

/** A job output as the status endpoint reports it. */
export interface ArtifactLocation {
  /** `s3://` URI in the new layout. */
  uri: string;
  /** The legacy URI SageMaker reported, when the job predates the layout. */
  legacyUri?: string;
  /** Which key holds the object now: the new one, the legacy one, or neither (not written yet). */
  availableAt: 'new' | 'legacy' | null;
  /** Object size when found. */
  bytes?: number;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

async function sizeOf(s3: S3Client, bucket: string, key: string): Promise<number | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ContentLength ?? 0;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The key inside this bucket of an `s3://` URI, or undefined when it names another bucket. */
export function keyOfUri(paths: S3PathBuilder, uri: string): string | undefined {
  const prefix = `s3://${paths.bucket}/`;
  return uri.startsWith(prefix) ? uri.slice(prefix.length) : undefined;
}

/**
 * Locates one object SageMaker reported (`ModelArtifacts.S3ModelArtifacts`): a legacy key is
 * mapped to its new-layout key with the library's rules, then the new key is checked first.
 *
 * @example
 * await locateArtifact(s3, paths, 's3://bucket/datasets/cats/training-output/j1/output/model.tar.gz');
 * // { uri: 's3://bucket/models/training/j1/output/model.tar.gz', legacyUri: 's3://…/datasets/…', availableAt: 'legacy', bytes: 1234 }
 */
export async function locateArtifact(s3: S3Client, paths: S3PathBuilder, reportedUri: string): Promise<ArtifactLocation> {
  const key = keyOfUri(paths, reportedUri);
  if (key === undefined) return { uri: reportedUri, availableAt: null };
  const parsed = paths.parse(key);
  const newKey = parsed.kind === 'legacy' ? parsed.newKey : key;
  const legacyKey = parsed.kind === 'legacy' ? key : undefined;
  const base = { uri: paths.toUri(newKey), ...(legacyKey ? { legacyUri: paths.toUri(legacyKey) } : {}) };
  const newBytes = await sizeOf(s3, paths.bucket, newKey);
  if (newBytes !== undefined) return { ...base, availableAt: 'new', bytes: newBytes };
  const legacyBytes = legacyKey ? await sizeOf(s3, paths.bucket, legacyKey) : undefined;
  if (legacyBytes !== undefined) return { ...base, availableAt: 'legacy', bytes: legacyBytes };
  return { ...base, availableAt: null };
}

const ARCHIVE_SUFFIXES = ['.tar.gz', '.tgz', '.tar', '.zip'];

/** The archives under a folder key (`…/`), first by key, as {@link ArtifactLocation}s. */
export async function archivesUnder(s3: S3Client, paths: S3PathBuilder, folderKey: string): Promise<ArtifactLocation[]> {
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: paths.bucket, Prefix: folderKey }));
  return (listing.Contents ?? [])
    .filter((o) => ARCHIVE_SUFFIXES.some((suffix) => o.Key?.endsWith(suffix)))
    .sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''))
    .map((o) => ({ uri: paths.toUri(o.Key ?? ''), availableAt: 'new' as const, bytes: o.Size ?? 0 }));
}
