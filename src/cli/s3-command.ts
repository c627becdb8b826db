// Stub until the S3 layout issue lands; that issue replaces this file.
/** Runs `storage-safe-archive s3 …` and returns the exit code. */
export async function runS3Command(_argv: string[]): Promise<number> {
  process.stderr.write('storage-safe-archive s3: not implemented yet\n');
  return 2;
}
