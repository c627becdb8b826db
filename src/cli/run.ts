/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [command] = argv;
  process.stderr.write(`storage-safe-archive: unknown command ${JSON.stringify(command ?? '')}\n`);
  return 2;
}
