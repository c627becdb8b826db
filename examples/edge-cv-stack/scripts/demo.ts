// `npm run demo -- --endpoint URL`: the demonstration; see docs/local.md.
import { fileURLToPath } from 'node:url';
import { DEMO_USAGE, runDemoCli } from '../src/demo/demo-cli.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(DEMO_USAGE);
  process.exit(0);
}
try {
  const { bundle, summary } = await runDemoCli(argv, { evidenceRoot: fileURLToPath(new URL('../evidence/', import.meta.url)) });
  console.error(`${summary.passed ? 'all checks passed' : 'SOME CHECKS FAILED'}; evidence bundle:`);
  console.log(bundle);
  process.exit(summary.passed ? 0 : 1);
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  console.error(DEMO_USAGE);
  process.exit(1);
}
