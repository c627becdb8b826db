// `npm run local`: the example on this machine, for real, on loopback. See docs/local.md.
//   HOST (default 127.0.0.1), PORT (default 3000; 0 picks a free port), PREFIX (default edge-cv),
//   EFS_MOUNT_PATH (default: a temporary folder, removed at exit).
// Ctrl-C (SIGINT) or SIGTERM stops every part within 10 s.
import { startLocalStack } from '../src/local/local-stack.js';

const STOP_DEADLINE_MS = 10_000;

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}

const stack = await startLocalStack({
  host: process.env.HOST ?? '127.0.0.1',
  port,
  prefix: process.env.PREFIX ?? 'edge-cv-poc', // the CDK app's default prefix too
  mountPath: process.env.EFS_MOUNT_PATH || undefined,
});

console.log(stack.url);
console.error(
  [
    `edge-cv-stack local mode`,
    `  API        ${stack.url}  (POST /ingest, POST /predict)`,
    `  S3         ${stack.s3.endpoint}  bucket ${stack.bucket}  (models/ ObjectCreated -> producer)`,
    `  DynamoDB   ${stack.dynamo.endpoint}`,
    stack.sagemaker
      ? `  SageMaker  ${stack.sagemaker.endpoint}  (moto; POST /jobs/training, POST /jobs/compilation, GET /jobs/{kind}/{jobName})`
      : `  SageMaker  not running, job routes left out: ${stack.sagemakerUnavailable ?? ''}`,
    `  EFS mount  ${stack.mountPath}`,
    `  Ctrl-C to stop`,
  ].join('\n'),
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`${signal}: stopping`);
  // A hard deadline: whatever still holds the event loop after 10 s does not keep us alive.
  setTimeout(() => {
    console.error(`not stopped after ${STOP_DEADLINE_MS} ms; exiting anyway`);
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
  try {
    await stack.stop();
    process.exit(0);
  } catch (error) {
    console.error(`stop failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
