// The demo against a deployed stack. Evidence comes from AWS APIs: the Lambda configuration with
// its file system config, the access point description, recent log events of both functions, and
// the outputs/ listing. A cold start is forced by updating the consumer's configuration (a new
// environment variable), which makes Lambda start new execution environments.
//
// @aws-sdk/client-lambda, client-efs, client-cloudwatch-logs and client-cloudformation are not
// dependencies of the example (the Lambdas do not need them); they are loaded only here, by
// name, and the error says what to install when one is missing.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { DemoTarget, EvidenceFile } from './demo-target.js';

/** Names the AWS side needs; each may come from the stack outputs instead. */
export interface AwsTargetOptions {
  /** Region (default: the SDK's own resolution). */
  region?: string;
  /** CloudFormation stack whose outputs name the rest (`EdgeCvStack` by default when names are missing). */
  stackName?: string;
  /** Producer function name (stack output `ProducerFunctionName`). */
  producerFunction?: string;
  /** Consumer function name (stack output `ConsumerFunctionName`). */
  consumerFunction?: string;
  /** EFS access point id (stack output `AccessPointId`). */
  accessPointId?: string;
  /** Bucket name (stack output `BucketName`). */
  bucket?: string;
}

type SdkCommand = new (input: unknown) => unknown;
interface SdkClient {
  send(command: unknown): Promise<Record<string, any>>;
  destroy(): void;
}
type SdkModule = Record<string, unknown>;

async function loadSdk(name: string): Promise<SdkModule> {
  try {
    return (await import(name)) as SdkModule;
  } catch (error) {
    throw new Error(`${name} is needed to gather AWS evidence; install it next to the example: npm install --no-save ${name} (${(error as Error).message})`);
  }
}

async function client(name: string, className: string, region?: string): Promise<{ client: SdkClient; module: SdkModule }> {
  const module = await loadSdk(name);
  const Client = module[className] as new (config: unknown) => SdkClient;
  return { client: new Client({ region }), module };
}

function command(module: SdkModule, name: string, input: unknown): unknown {
  return new (module[name] as SdkCommand)(input);
}

async function resolveNames(options: AwsTargetOptions): Promise<Required<Omit<AwsTargetOptions, 'region' | 'stackName'>>> {
  const missing = !options.producerFunction || !options.consumerFunction || !options.accessPointId || !options.bucket;
  let outputs: Record<string, string> = {};
  if (missing) {
    const stackName = options.stackName ?? 'EdgeCvStack';
    const { client: cfn, module } = await client('@aws-sdk/client-cloudformation', 'CloudFormationClient', options.region);
    try {
      const reply = await cfn.send(command(module, 'DescribeStacksCommand', { StackName: stackName }));
      const list = (reply.Stacks?.[0]?.Outputs ?? []) as Array<{ OutputKey?: string; OutputValue?: string }>;
      outputs = Object.fromEntries(list.map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    } finally {
      cfn.destroy();
    }
  }
  const pick = (given: string | undefined, output: string) => {
    const value = given ?? outputs[output];
    if (!value) throw new Error(`cannot tell the ${output}: pass it as a flag or deploy the stack with that output`);
    return value;
  };
  return {
    producerFunction: pick(options.producerFunction, 'ProducerFunctionName'),
    consumerFunction: pick(options.consumerFunction, 'ConsumerFunctionName'),
    accessPointId: pick(options.accessPointId, 'AccessPointId'),
    bucket: pick(options.bucket, 'BucketName'),
  };
}

/** A demo target backed by a deployed stack. */
export function awsTarget(options: AwsTargetOptions): DemoTarget {
  const names = resolveNames(options);
  return {
    kind: 'aws',
    async forceConsumerColdStart() {
      const { consumerFunction } = await names;
      const { client: lambda, module } = await client('@aws-sdk/client-lambda', 'LambdaClient', options.region);
      try {
        const current = await lambda.send(command(module, 'GetFunctionConfigurationCommand', { FunctionName: consumerFunction }));
        // Keep every existing variable: the update replaces the whole environment.
        const Variables = { ...(current.Environment?.Variables ?? {}), DEMO_COLD_START_AT: new Date().toISOString() };
        await lambda.send(command(module, 'UpdateFunctionConfigurationCommand', { FunctionName: consumerFunction, Environment: { Variables } }));
        const deadline = Date.now() + 120_000;
        for (;;) {
          const state = await lambda.send(command(module, 'GetFunctionConfigurationCommand', { FunctionName: consumerFunction }));
          if (state.LastUpdateStatus === 'Successful') break;
          if (state.LastUpdateStatus === 'Failed') throw new Error(`updating ${consumerFunction} failed: ${state.LastUpdateStatusReason}`);
          if (Date.now() > deadline) throw new Error(`${consumerFunction} still updating after 120 s`);
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
        return `aws: UpdateFunctionConfiguration on ${consumerFunction} (environment DEMO_COLD_START_AT) so the next invocation gets a new execution environment`;
      } finally {
        lambda.destroy();
      }
    },
    async gatherEvidence(since) {
      const resolved = await names;
      const files: EvidenceFile[] = [];
      const lambda = await client('@aws-sdk/client-lambda', 'LambdaClient', options.region);
      try {
        const configurations: Record<string, unknown> = {};
        for (const [role, name] of [['producer', resolved.producerFunction], ['consumer', resolved.consumerFunction]] as const) {
          const reply = await lambda.client.send(command(lambda.module, 'GetFunctionConfigurationCommand', { FunctionName: name }));
          delete reply.$metadata;
          configurations[role] = reply;
        }
        files.push({ name: 'lambda-configuration.json', description: 'GetFunctionConfiguration of both functions (FileSystemConfigs: the EFS mount at /mnt/efs)', content: configurations });
      } finally {
        lambda.client.destroy();
      }
      const efs = await client('@aws-sdk/client-efs', 'EFSClient', options.region);
      try {
        const reply = await efs.client.send(command(efs.module, 'DescribeAccessPointsCommand', { AccessPointId: resolved.accessPointId }));
        files.push({ name: 'access-point.json', description: 'DescribeAccessPoints: root directory, POSIX user, file system', content: reply.AccessPoints });
      } finally {
        efs.client.destroy();
      }
      const logs = await client('@aws-sdk/client-cloudwatch-logs', 'CloudWatchLogsClient', options.region);
      try {
        for (const [role, name] of [['producer', resolved.producerFunction], ['consumer', resolved.consumerFunction]] as const) {
          const reply = await logs.client.send(
            command(logs.module, 'FilterLogEventsCommand', { logGroupName: `/aws/lambda/${name}`, startTime: since.getTime() - 60_000, limit: 200 }),
          );
          const lines = ((reply.events ?? []) as Array<{ message?: string }>).map((e) => (e.message ?? '').trimEnd());
          files.push({ name: `logs-${role}.jsonl`, description: `CloudWatch Logs of ${name} since the demo started`, content: lines.join('\n') + '\n' });
        }
      } finally {
        logs.client.destroy();
      }
      const s3 = new S3Client({ region: options.region });
      try {
        const listing = await s3.send(new ListObjectsV2Command({ Bucket: resolved.bucket, Prefix: 'outputs/' }));
        files.push({
          name: 'outputs-listing.json',
          description: `s3://${resolved.bucket}/outputs/ listing`,
          content: (listing.Contents ?? []).map((o) => ({ key: o.Key, bytes: o.Size, lastModified: o.LastModified })),
        });
      } finally {
        s3.destroy();
      }
      return files;
    },
  };
}
