/** The text `--help` prints. */
export const USAGE = `Usage: storage-safe-archive <command> [options]

Commands:
  inspect <archive>                 format, entries, totals and the disk an extraction would need
  extract <archive> <dir>           extract safely (no path escapes, disk checked first)
      --only GLOB                   extract only matching entries (repeatable)
  zip <dir> <out.zip>               zip a folder one file at a time
      --delete-after-add            remove each file once it is in the zip (disk peak: one file)
  repackage <in> <out.zip>          tar / tar.gz / zip to zip with no scratch disk
      --prefix DIR                  put every entry under DIR/ (e.g. a Greengrass stage name)
      --add NAME=FILE               add FILE to the zip as NAME (repeatable), e.g. manifest.json
  s3 ...                            S3 layout and migration commands (storage-safe-archive s3 --help)

Options for zip and repackage:
  --compression auto|deflate|store  auto (default) stores what deflate cannot shrink by 10%
  --level 1-9                       deflate level (default 6)
  --deterministic                   fixed times: identical input gives identical bytes

Common options:
  --json                            one JSON document on stdout instead of text (for scripts)
  --no-progress                     no progress bar (it is drawn only on a terminal anyway)
  -h, --help                        this text

Exit codes: 0 success, 1 failure (message and a suggestion on stderr), 2 usage error.
`;
