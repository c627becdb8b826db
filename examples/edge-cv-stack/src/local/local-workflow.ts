// The packaging state machine run locally: the very definition the CDK app deploys (rendered by
// infra/packaging-workflow.ts) executed by aws-local-stepfunctions, an Amazon States Language
// interpreter from npm, with every Task state wired to the local packaging function. What that
// executor does not implement, and so differs from AWS (see docs/local.md):
// - the map runs its items in this process (p-limit at MaxConcurrency), not as child executions;
// - ResultWriter is ignored: the map's results reach the report step inline, as an array;
// - ToleratedFailurePercentage is ignored: one item failing after its retries fails the map,
//   which the definition's Catch turns into a FAILED report.
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';

/** What the executor passes to and takes from a Task handler (its own JSONValue, not exported). */
type JSONValue = Parameters<NonNullable<NonNullable<NonNullable<Parameters<StateMachine['run']>[1]>['overrides']>['taskResourceLocalHandlers']>[string]>[0];
import { PACKAGING_WORKFLOW_DEFAULTS } from '../../infra/config.js';
import { renderPackagingDefinition } from '../../infra/packaging-workflow.js';
import type { PackagingRunReport } from '../packaging/packaging-steps.js';
import type { LocalFunction } from './local-function.js';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); our machines run Node 20.
// Standard semantics, installed only where missing.
const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
promiseWithResolvers.withResolvers ??= function withResolvers<T>(this: PromiseConstructor) {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new this<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

/** Options of {@link runLocalPackagingWorkflow}. */
export interface LocalWorkflowOptions {
  /** The packaging function. */
  packaging: LocalFunction;
  /** The bucket (for the ResultWriter's parameters, which the local executor ignores). */
  bucket: string;
  /** Targets at once. Default as the CDK app (10). */
  maxConcurrency?: number;
  /** As the CDK app (25); the local executor ignores it. */
  toleratedFailurePercentage?: number;
  /** The execution's name. Default a random UUID, as Step Functions picks. */
  executionName?: string;
}

/** What a local execution did. */
export interface LocalExecution {
  /** The execution's name. */
  executionName: string;
  /** `SUCCEEDED` or `FAILED` (the Fail state, or an error). */
  status: 'SUCCEEDED' | 'FAILED';
  /** The packaging report the last step wrote, when it ran. */
  report?: PackagingRunReport;
  /** The error that failed the execution. */
  error?: string;
  /** Most targets being packaged at the same moment. */
  peakConcurrency: number;
  /** The map's MaxConcurrency. */
  maxConcurrency: number;
  /** Wall-clock milliseconds. */
  durationMs: number;
}

/**
 * Executes the packaging workflow on `input` (the packaging event) and waits for it to end.
 *
 * @example
 * const run = await runLocalPackagingWorkflow({ trainingJob, compilationJob, targets: ['a', 'b', 'c'], componentName, componentVersion }, { packaging, bucket });
 * run.report?.targets.map((t) => t.sha256);
 */
export async function runLocalPackagingWorkflow(input: unknown, options: LocalWorkflowOptions): Promise<LocalExecution> {
  const maxConcurrency = options.maxConcurrency ?? PACKAGING_WORKFLOW_DEFAULTS.maxConcurrency;
  const definition = renderPackagingDefinition({
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${options.packaging.name}`,
    bucketName: options.bucket,
    maxConcurrency,
    toleratedFailurePercentage: options.toleratedFailurePercentage ?? PACKAGING_WORKFLOW_DEFAULTS.toleratedFailurePercentage,
  });
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const executionName = options.executionName ?? randomUUID();
  let active = 0;
  let peakConcurrency = 0;
  let report: PackagingRunReport | undefined;
  const invoke = async (event: JSONValue) => (await options.packaging.invoke<JSONValue>(event)).result;
  const reportStep = async (event: JSONValue) => {
    const result = await invoke(event);
    report = result as unknown as PackagingRunReport;
    return result;
  };
  const started = performance.now();
  const execution = machine.run(input as never, {
    context: { Execution: { Name: executionName, Id: `arn:aws:states:us-east-1:123456789012:execution:local-packaging:${executionName}` } } as never,
    overrides: {
      taskResourceLocalHandlers: {
        Validate: invoke,
        PackageTarget: async (event: JSONValue) => {
          active += 1;
          peakConcurrency = Math.max(peakConcurrency, active);
          try {
            return await invoke(event);
          } finally {
            active -= 1;
          }
        },
        Report: reportStep,
        ReportMapFailure: reportStep,
      },
    },
  });
  try {
    await execution.result;
    return { executionName, status: 'SUCCEEDED', ...(report ? { report } : {}), peakConcurrency, maxConcurrency, durationMs: performance.now() - started };
  } catch (error) {
    const e = error as { name?: string; message?: string; cause?: { message?: string } };
    const message = e.cause?.message ?? e.message ?? String(error);
    return { executionName, status: 'FAILED', ...(report ? { report } : {}), error: message, peakConcurrency, maxConcurrency, durationMs: performance.now() - started };
  }
}
