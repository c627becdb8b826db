import { parseArgs } from 'node:util';
import { createProgressBar } from './progress-bar.js';
import { processIo, UsageError, type CliIo } from './io.js';
import { reportError } from './report-error.js';
import { runS3Command } from './s3-command.js';
import { commandUsage, isCommandName, USAGE } from './usage.js';
import type { CliOptions, CommandContext } from './commands/context.js';
import { extractCommand } from './commands/extract.js';
import { inspectCommand } from './commands/inspect.js';
import { repackageCommand } from './commands/repackage.js';
import { zipCommand } from './commands/zip.js';

const COMMANDS: Record<string, (context: CommandContext) => Promise<void>> = {
  inspect: inspectCommand,
  extract: extractCommand,
  zip: zipCommand,
  repackage: repackageCommand,
};

/**
 * Runs the CLI with `argv` (without node and the script) and returns the exit code: 0 success,
 * 1 failure (one line and a suggestion on stderr), 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['repackage', 'model.tar.gz', 'component.zip', '--prefix', 'jetson']);
 * ```
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 's3') return runS3Command(rest);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  let json = rest.includes('--json');
  // A mistake in a known command shows that command's help; anything else the overview.
  const usage = isCommandName(command) ? commandUsage(command) : USAGE;
  try {
    const run = COMMANDS[command];
    if (run === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    const { values, positionals } = parseCommandLine(rest);
    if (values.help) {
      io.stdout.write(usage);
      return 0;
    }
    const options: CliOptions = {
      json: values.json ?? false,
      progress: !(values['no-progress'] ?? false),
      only: values.only ?? [],
      prefix: values.prefix,
      add: values.add ?? [],
      compression: values.compression,
      level: values.level,
      deterministic: values.deterministic ?? false,
      deleteAfterAdd: values['delete-after-add'] ?? false,
      force: values.force ?? false,
      list: (values.list ?? false) || (values.verbose ?? false),
      stripComponents: parseCount(values['strip-components']),
      gunzipWorker: values['gunzip-worker'] ?? false,
    };
    json = options.json;
    const bar = createProgressBar(io, options.progress && !options.json);
    let finished = false;
    try {
      await run({
        args: positionals,
        options,
        io,
        onProgress: (state) => bar.update(state),
        print: (result, lines) => {
          // The bar ends at 100% on its own line before the summary is printed under it.
          bar.finish();
          finished = true;
          io.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${lines.join('\n')}\n`);
        },
      });
    } finally {
      if (!finished) bar.clear();
    }
    return 0;
  } catch (error) {
    return reportError(error, io, json, usage);
  }
}

/** `--strip-components N`: a whole number, or a usage error. */
function parseCount(value: string | undefined): number {
  if (value === undefined) return 0;
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) throw new UsageError(`--strip-components takes a whole number (got ${JSON.stringify(value)})`);
  return count;
}

function parseCommandLine(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        only: { type: 'string', multiple: true },
        prefix: { type: 'string' },
        add: { type: 'string', multiple: true },
        compression: { type: 'string' },
        level: { type: 'string' },
        deterministic: { type: 'boolean' },
        'delete-after-add': { type: 'boolean' },
        force: { type: 'boolean', short: 'f' },
        list: { type: 'boolean', short: 'l' },
        verbose: { type: 'boolean', short: 'v' },
        'strip-components': { type: 'string' },
        'gunzip-worker': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
