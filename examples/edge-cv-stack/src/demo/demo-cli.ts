// `npm run demo -- [--endpoint URL] [--aws] [...]`: runs the demonstration and writes the
// evidence bundle. Without --endpoint it starts the local mode for the run and stops it after.
import { parseArgs } from 'node:util';
import { startLocalStack } from '../local/local-stack.js';
import { isLoopback } from './api-client.js';
import { awsTarget } from './aws-target.js';
import { localTarget, type DemoTarget } from './demo-target.js';
import { writeEvidenceBundle } from './evidence-bundle.js';
import { runDemo, type DemoSummary } from './run-demo.js';

/** Usage text. */
export const DEMO_USAGE = `usage: npm run demo -- [--endpoint URL] [options]

  --endpoint URL          API base URL (local mode or the deployed stage URL, e.g. the ApiUrl output).
                          Without it, the local mode is started for the run.
  --aws                   gather evidence from AWS even for a loopback URL (default: when the URL is not loopback)
  --stack NAME            CloudFormation stack to read names from (default EdgeCvStack)
  --region REGION         AWS region
  --producer-function N   --consumer-function N   --access-point-id ID   --bucket NAME
                          override the names read from the stack outputs
  --sample-bytes N        sample model size (default 1048576)
  --warm N                warm /predict calls (default 5)
  --parallel N            concurrent /predict calls (default 10)
  --evidence-dir DIR      where bundles go (default: evidence/ in the example)`;

/** What a demo run produced. */
export interface DemoCliResult {
  /** The bundle directory. */
  bundle: string;
  /** The measurements. */
  summary: DemoSummary;
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Parses `argv`, runs the demo, writes the bundle. */
export async function runDemoCli(argv: string[], defaults: { evidenceRoot: string }): Promise<DemoCliResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      endpoint: { type: 'string' },
      aws: { type: 'boolean', default: false },
      stack: { type: 'string' },
      region: { type: 'string' },
      'producer-function': { type: 'string' },
      'consumer-function': { type: 'string' },
      'access-point-id': { type: 'string' },
      bucket: { type: 'string' },
      'sample-bytes': { type: 'string' },
      warm: { type: 'string' },
      parallel: { type: 'string' },
      'evidence-dir': { type: 'string' },
    },
    strict: true,
  });
  const local = values.endpoint === undefined ? await startLocalStack({ port: 0, echoLogs: false }) : undefined;
  try {
    const endpoint = values.endpoint ?? (local as { url: string }).url;
    const useAws = values.aws || !isLoopback(endpoint);
    const target: DemoTarget = useAws
      ? awsTarget({
          region: values.region,
          stackName: values.stack,
          producerFunction: values['producer-function'],
          consumerFunction: values['consumer-function'],
          accessPointId: values['access-point-id'],
          bucket: values.bucket,
        })
      : localTarget(endpoint);
    const since = new Date();
    const summary = await runDemo({
      endpoint,
      target,
      sampleBytes: positiveInteger(values['sample-bytes'], 'sample-bytes', 1024 * 1024),
      warmCalls: positiveInteger(values.warm, 'warm', 5),
      parallelCalls: positiveInteger(values.parallel, 'parallel', 10),
    });
    const files = await target.gatherEvidence(since);
    const bundle = await writeEvidenceBundle(values['evidence-dir'] ?? defaults.evidenceRoot, summary, files);
    return { bundle, summary };
  } finally {
    await local?.stop();
  }
}
