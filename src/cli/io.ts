/** Where the CLI writes: injectable so tests run it in-process. */
export interface CliIo {
  /** Results (human text, or one JSON document with `--json`). */
  stdout: { write(text: string): unknown };
  /** Progress and errors. `isTTY` turns the progress bar on. */
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/** The process's own streams. */
export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** A command-line usage mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
