// The `storage-safe-archive` command. A leaf: nothing imports it.
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2));
