import type { ProcessingState } from '../../observe/progress.js';
import type { CliIo } from '../io.js';

/** What every command gets: its positional arguments, the parsed options and the output. */
export interface CommandContext {
  /** Positional arguments after the command name. */
  args: string[];
  /** Parsed options. */
  options: CliOptions;
  /** Output streams. */
  io: CliIo;
  /** Progress listener (draws the bar on a terminal). */
  onProgress: (state: ProcessingState) => void;
  /** Prints the result: JSON with `--json`, else the human lines. */
  print(result: Record<string, unknown>, lines: string[]): void;
}

/** Options the CLI accepts (all commands share one table, each reads what it needs). */
export interface CliOptions {
  json: boolean;
  progress: boolean;
  only: string[];
  prefix: string | undefined;
  add: string[];
  compression: string | undefined;
  level: string | undefined;
  deterministic: boolean;
  deleteAfterAdd: boolean;
  /** `-f`/`--force`: replace an existing output zip. */
  force: boolean;
  /** `-l`/`--list` (or `-v`): inspect lists every entry. */
  list: boolean;
  /** `--strip-components N` (0 when not given). */
  stripComponents: number;
  /** `--gunzip-worker`: inflate a tar.gz on a worker thread. */
  gunzipWorker: boolean;
}
