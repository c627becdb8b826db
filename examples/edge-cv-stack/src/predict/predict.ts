// The consumer's work, apart from the Lambda plumbing: read the ingested file and the model from
// the mount, compute, publish the result atomically at outputs/<fileId>.result.
import { stat } from 'node:fs/promises';
import type { EfsLayout } from '../efs/efs-layout.js';
import { writeFileAtomically } from '../efs/atomic-write.js';
import { readIngestRecord } from '../ingest/ingest-record.js';
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

  const inputStatistics = computeFileStatistics(record.path);
  const modelStatistics = modelPath === record.path ? inputStatistics : computeFileStatistics(modelPath);
  const result: PredictionResult = {
    fileId,
    input: { key: record.key, path: record.path, ...(await inputStatistics) },
    model: { key: modelKey ?? record.key, path: modelPath, ...(await modelStatistics) },
    computedAt: new Date().toISOString(),
  };
  const written = await writeFileAtomically(layout.resultPath(fileId), `${JSON.stringify(result, null, 2)}\n`);
  return { result, efsPath: written.path };
}
