// One JSON record per ingested file at inputs/<fileId>.json: how the consumer finds the model
// file of a file identifier, and what the producer measured while writing it.
import { readFile } from 'node:fs/promises';
import type { EfsLayout } from '../efs/efs-layout.js';
import { writeFileAtomically } from '../efs/atomic-write.js';

/** Where an ingested file came from. */
export type IngestSource = 's3' | 'data';

/** The record the producer writes at `inputs/<fileId>.json`. */
export interface IngestRecord {
  /** The file identifier (see `fileIdForKey`). */
  fileId: string;
  /** The model key: the file is at `models/<key>` on EFS (and in S3 when it came from there). */
  key: string;
  /** Absolute path on the mount. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** Lowercase hex SHA-256 of the bytes written. */
  sha256: string;
  /** `s3` for a copy of `s3://<bucket>/models/<key>`, `data` for a payload sent to /ingest. */
  source: IngestSource;
  /**
   * For an S3 copy: the ETag of the object copied. Freshness is keyed on it, not on the name:
   * the next ingest asks S3 for the object only if its ETag differs (`If-None-Match`), so an
   * overwritten object is copied again and an unchanged one is not.
   */
  etag?: string;
  /** For an S3 copy from a versioned bucket: the version copied. */
  versionId?: string;
  /** When the file was published, ISO 8601. */
  ingestedAt: string;
}

/** Reads the record of `fileId`, or `undefined` when there is none. */
export async function readIngestRecord(layout: EfsLayout, fileId: string): Promise<IngestRecord | undefined> {
  try {
    return JSON.parse(await readFile(layout.recordPath(fileId), 'utf8')) as IngestRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Publishes a record atomically (written after the model file itself is in place). */
export async function writeIngestRecord(layout: EfsLayout, record: IngestRecord): Promise<void> {
  await writeFileAtomically(layout.recordPath(record.fileId), `${JSON.stringify(record, null, 2)}\n`);
}
