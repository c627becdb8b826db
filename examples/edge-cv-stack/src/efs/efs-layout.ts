// The directory schema on the shared mount:
//   <mount>/models/<key>            model files, written by the producer, read by the consumer
//   <mount>/inputs/<fileId>.json    one ingest record per file identifier (key, path, bytes, sha256)
//   <mount>/outputs/<fileId>.result the consumer's results
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The mount is missing or unusable: Lambda could not mount EFS, or the path is wrong. */
export class EfsUnavailableError extends Error {
  override readonly name = 'EfsUnavailableError';
  constructor(
    readonly mountPath: string,
    reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`EFS mount ${mountPath} is not usable: ${reason}. Check the function's file system configuration and EFS_MOUNT_PATH.`, options);
  }
}

/** Paths of the directory schema under one mount point. */
export class EfsLayout {
  readonly modelsDir: string;
  readonly inputsDir: string;
  readonly outputsDir: string;
  #ready: Promise<void> | undefined;

  constructor(readonly mountPath: string) {
    this.modelsDir = join(mountPath, 'models');
    this.inputsDir = join(mountPath, 'inputs');
    this.outputsDir = join(mountPath, 'outputs');
  }

  /** Where the model with this (already checked) key lives. */
  modelPath(key: string): string {
    return join(this.modelsDir, key);
  }

  /** Where the ingest record of a file identifier lives. */
  recordPath(fileId: string): string {
    return join(this.inputsDir, `${fileId}.json`);
  }

  /** Where the consumer writes the result for a file identifier. */
  resultPath(fileId: string): string {
    return join(this.outputsDir, `${fileId}.result`);
  }

  /**
   * Creates models/, inputs/ and outputs/ when missing. The mount point itself is never
   * created: if it is absent the mount failed, and writing to the local disk in its place would
   * hide that. Succeeds once per instance; a failure is retried on the next call.
   */
  ensureSchema(): Promise<void> {
    this.#ready ??= this.#createSchema().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #createSchema(): Promise<void> {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(this.mountPath)).isDirectory();
    } catch (error) {
      throw new EfsUnavailableError(this.mountPath, `stat failed (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
    }
    if (!isDirectory) throw new EfsUnavailableError(this.mountPath, 'it is not a directory');
    try {
      await Promise.all([this.modelsDir, this.inputsDir, this.outputsDir].map((dir) => mkdir(dir, { recursive: true })));
    } catch (error) {
      throw new EfsUnavailableError(this.mountPath, `cannot create models/, inputs/, outputs/ (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
        cause: error,
      });
    }
  }
}
