// The help texts: one per command (what `<command> --help` and a usage mistake in that command
// print), and the overview `--help` prints, built from the same lines so the two cannot drift.

const COMMON = `Common options:
  --json                            one JSON document on stdout instead of text (for scripts)
  --no-progress                     no progress bar (it is drawn only on a terminal anyway)
  -h, --help                        this text

Exit codes: 0 success, 1 failure (message and a suggestion on stderr), 2 usage error.
`;

const ZIP_OPTIONS = `  --compression auto|deflate|store  auto (default) stores what deflate cannot shrink by 10%
  --level 1-9                       deflate level (default 6)
  --deterministic                   fixed times: identical input gives identical bytes
  -f, --force                       replace the output zip if it exists (default: refuse)`;

/** Each command's synopsis line, description and own options. */
const COMMANDS = {
  inspect: {
    synopsis: 'inspect <archive>',
    about: 'format, entries, totals and the disk an extraction would need',
    options: `  -l, --list                        one line per entry, like tar -tv and unzip -l (-v too)`,
  },
  extract: {
    synopsis: 'extract <archive> <dir>',
    about: 'extract safely (no path escapes, disk checked first)',
    options: `  --only GLOB                       extract only matching entries (repeatable)
  --strip-components N              drop the first N folders of every entry's path, as tar does
  --gunzip-worker                   inflate a tar.gz on a worker thread: faster on 2+ cores, up to 60 MiB more memory`,
  },
  zip: {
    synopsis: 'zip <dir> <out.zip>',
    about: 'zip a folder one file at a time',
    options: `  --delete-after-add                remove each file once it is in the zip (disk peak: one file)
${ZIP_OPTIONS}`,
  },
  repackage: {
    synopsis: 'repackage <in> <out.zip>',
    about: 'tar / tar.gz / zip to zip with no scratch disk',
    options: `  --prefix DIR                      put every entry under DIR/ (e.g. a Greengrass stage name)
  --add NAME=FILE                   add FILE to the zip as NAME (repeatable), e.g. manifest.json
  --strip-components N              drop the first N folders of every entry's path, as tar does
  --gunzip-worker                   inflate a tar.gz on a worker thread: faster on 2+ cores, up to 60 MiB more memory
${ZIP_OPTIONS}`,
  },
} as const;

/** A command the CLI knows (besides `s3`, which has its own help). */
export type CommandName = keyof typeof COMMANDS;

/** Whether `name` is one of the commands with a help text here. */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** The help of one command: synopsis, what it does, its options and the common ones. */
export function commandUsage(name: CommandName): string {
  const command = COMMANDS[name];
  return `Usage: storage-safe-archive ${command.synopsis} [options]

${command.about}

Options:
${command.options}

${COMMON}`;
}

/** The text `--help` prints: every command with its options. */
export const USAGE = `Usage: storage-safe-archive <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((command) => `  ${command.synopsis.padEnd(32)}  ${command.about}\n${command.options.split('\n').map((line) => `  ${line}`).join('\n')}`)
  .join('\n')}
  s3 ...                            S3 layout and migration commands (storage-safe-archive s3 --help)

Run storage-safe-archive <command> --help for one command's options.

${COMMON}`;
