// The consumer's work, apart from the Lambda plumbing: read the ingested file and the model from
// the mount, compute, publish the result atomically at outputs/<fileId>.result. Every file is
// checked against the SHA-256 its ingest record holds before its result is used (the statistics
// hash every byte anyway, so the check reads nothing twice); a file that does not match is
// refused with DigestMismatchError and no result is written.
import { stat } from 'node:fs/promises';
import type { EfsLayout } from '../efs/efs-layout.js';
import { writeFileAtomically } from '../efs/atomic-write.js';
import { fileIdForKey } from '../efs/model-key.js';
import { readIngestRecord, type IngestRecord } from '../ingest/ingest-record.js';
import { computeFileStatistics, type FileStatistics } from './model-statistics.js';

/** A file the request named is not on the mount. */
export class FileNotFoundOnMountError extends Error {
  override readonly name = 'FileNotFoundOnMountError';
  constructor(
    readonly fileId: string,
    readonly model?: string,
  ) {
    super(model === undefined ? `no file with id ${fileId} on EFS: ingest it first with POST /ingest` : `model ${JSON.stringify(model)} is not on EFS under models/: ingest it first`);
  }
}

/** A file on the mount does not have the SHA-256 its ingest record says: it changed, or is corrupt. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
  constructor(
    readonly key: string,
    readonly path: string,
    /** SHA-256 (hex) the ingest record holds. */
    readonly expectedSha256: string,
    /** SHA-256 (hex) of the bytes read now. */
    readonly actualSha256: string,
  ) {
    super(`${path} (models/${key}) has SHA-256 ${actualSha256}, but its ingest record says ${expectedSha256}: ingest it again (POST /ingest) before using it`);
  }
}

/** A model on the mount has no ingest record, so its bytes cannot be checked. */
export class UnverifiedModelError extends Error {
  override readonly name = 'UnverifiedModelError';
  constructor(readonly model: string) {
    super(`models/${model} is on EFS but has no ingest record, so its digest is unknown: ingest it through POST /ingest first`);
  }
}

/**
 * The statistics of `record`'s file, refused unless they hash to the record's SHA-256. The
 * producer may replace the file and then its record while this reads; the record is read again
 * once, so a replacement caught halfway is taken with its new record.
 */
async function verifiedStatistics(layout: EfsLayout, record: IngestRecord): Promise<{ statistics: FileStatistics; record: IngestRecord }> {
  const statistics = await computeFileStatistics(record.path);
  if (statistics.sha256 === record.sha256) return { statistics, record };
  const latest = await readIngestRecord(layout, record.fileId);
  if (latest && latest.key === record.key && latest.sha256 === statistics.sha256) return { statistics, record: latest };
  throw new DigestMismatchError(record.key, record.path, latest?.sha256 ?? record.sha256, statistics.sha256);
}

/** Statistics of one file on the mount, with where it is. */
export interface FileOnMount extends FileStatistics {
  /** The model key (`models/<key>`). */
  key: string;
  /** Absolute path on the mount. */
  path: string;
}

/** The JSON document at `outputs/<fileId>.result`. */
export interface PredictionResult {
  /** The file identifier. */
  fileId: string;
  /** The ingested file, as read by the consumer (compare `sha256` with the producer's). */
  input: FileOnMount;
  /** The model the computation ran over: the ingested file itself unless the request named another. */
  model: FileOnMount;
  /** When the result was computed, ISO 8601. */
  computedAt: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Computes the result for `fileId` (over `models/<modelKey>` when given) and writes it to
 * `outputs/<fileId>.result`. Many consumers may run this for one file at once: each writes its
 * own temporary file and the last rename wins, with identical content.
 */
export async function predict(layout: EfsLayout, fileId: string, modelKey?: string): Promise<{ result: PredictionResult; efsPath: string }> {
  const record = await readIngestRecord(layout, fileId);
  if (!record || !(await isFile(record.path))) throw new FileNotFoundOnMountError(fileId);
  const modelPath = modelKey === undefined ? record.path : layout.modelPath(modelKey);
  if (modelKey !== undefined && !(await isFile(modelPath))) throw new FileNotFoundOnMountError(fileId, modelKey);

  let modelRecord = record;
  if (modelPath !== record.path) {
    const found = await readIngestRecord(layout, fileIdForKey(modelKey as string));
    if (!found || found.key !== modelKey) throw new UnverifiedModelError(modelKey as string);
    modelRecord = found;
  }

  const input = verifiedStatistics(layout, record);
  const model = modelRecord === record ? input : verifiedStatistics(layout, modelRecord);
  const [checkedInput, checkedModel] = await Promise.all([input, model]);
  const result: PredictionResult = {
    fileId,
    input: { key: record.key, path: record.path, ...checkedInput.statistics },
    model: { key: modelKey ?? record.key, path: modelPath, ...checkedModel.statistics },
    computedAt: new Date().toISOString(),
  };
  const written = await writeFileAtomically(layout.resultPath(fileId), `${JSON.stringify(result, null, 2)}\n`);
  return { result, efsPath: written.path };
}
