/**
 * The packaging fan-out (issue 16): a Step Functions state machine that validates the request,
 * packages every target in a Distributed Map (one child workflow execution and one packaging
 * Lambda invocation per target, at most `maxConcurrency` at once, each retried with backoff on
 * throttling and timeouts, the run tolerating `toleratedFailurePercentage` of failed targets, the
 * results written to S3 by the map's ResultWriter), then writes the packaging report.
 *
 *   Validate ─► PackageTargets (DISTRIBUTED) ─► Report ─► Succeeded? ─► Done | RunFailed
 *                     └── catch (threshold exceeded, ...) ─► Report
 *
 * The definition is built by {@link PackagingWorkflow}; {@link renderPackagingDefinition} renders
 * the very same construct to plain ASL for the local executor and the asl-validator test.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** Where the map's ResultWriter puts the child executions' results (`<prefix>/<map run id>/…`). */
export const MAP_RESULTS_PREFIX = 'deployments/packaging-runs';

/** Errors a target is retried on: Lambda throttling and transient service faults, timeouts, S3 slow-downs. */
export const RETRYABLE_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'States.Timeout',
  'ThrottlingException',
  'SlowDown',
] as const;

/** The retry of each target: 4 more attempts, 5 s, 10 s, 20 s, 40 s apart (full jitter), at most 60 s. */
export const TARGET_RETRY = { interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 4, maxDelay: Duration.seconds(60) } as const;

/** A whole run's limit: many targets at MaxConcurrency, each up to 15 minutes and its retries. */
export const WORKFLOW_TIMEOUT = Duration.hours(6);

/** Props of {@link PackagingWorkflow}. */
export interface PackagingWorkflowProps {
  /** The packaging function (its `step` entry points). */
  readonly packaging: lambda.IFunction;
  /** The bucket the map's results and the report go to. */
  readonly bucket: s3.IBucket;
  /** Targets packaged at once. */
  readonly maxConcurrency: number;
  /** Percentage of targets that may fail while the run still succeeds (as PARTIAL). */
  readonly toleratedFailurePercentage: number;
  /** Create the state machine (false: only the definition, for rendering). Default true. */
  readonly createStateMachine?: boolean;
}

/** The packaging state machine. */
export class PackagingWorkflow extends Construct {
  /** The definition's first state. */
  readonly definition: sfn.IChainable;
  /** The Distributed Map state. */
  readonly map: sfn.DistributedMap;
  /** The state machine (absent when `createStateMachine` is false). */
  readonly stateMachine?: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: PackagingWorkflowProps) {
    super(scope, id);
    const step = (name: string, payload: Record<string, unknown>, timeout: Duration) =>
      new tasks.LambdaInvoke(this, name, {
        lambdaFunction: props.packaging,
        payload: sfn.TaskInput.fromObject(payload),
        // The function's return value is the state's output (the Lambda ARN is the Resource).
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(timeout),
      });

    const validate = step('Validate', { step: 'validate', 'request.$': '$' }, Duration.minutes(2));
    validate.addRetry({ errors: [...RETRYABLE_ERRORS], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3 });

    const packageTarget = step('PackageTarget', { step: 'target', 'item.$': '$' }, Duration.seconds(900));
    packageTarget.addRetry({ errors: [...RETRYABLE_ERRORS], ...TARGET_RETRY, jitterStrategy: sfn.JitterType.FULL });

    this.map = new sfn.DistributedMap(this, 'PackageTargets', {
      itemsPath: '$.items',
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: props.toleratedFailurePercentage,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultWriterV2: new sfn.ResultWriterV2({ bucket: props.bucket, prefix: MAP_RESULTS_PREFIX }),
      resultPath: '$.results',
    });
    this.map.itemProcessor(packageTarget);

    const report = step(
      'Report',
      { step: 'report', 'request.$': '$.request', 'results.$': '$.results', 'executionName.$': '$$.Execution.Name' },
      Duration.minutes(2),
    );
    report.addRetry({ errors: [...RETRYABLE_ERRORS], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3 });
    const reportFailure = step(
      'ReportMapFailure',
      { step: 'report', 'request.$': '$.request', 'executionName.$': '$$.Execution.Name', 'mapError.$': '$.mapError' },
      Duration.minutes(2),
    );
    this.map.addCatch(reportFailure, { errors: ['States.ALL'], resultPath: '$.mapError' });

    const outcome = new sfn.Choice(this, 'Succeeded?')
      .when(sfn.Condition.stringEquals('$.status', 'FAILED'), new sfn.Fail(this, 'RunFailed', { error: 'PackagingFailed', cause: 'no target was packaged, or the map failed; see the report' }))
      .otherwise(new sfn.Succeed(this, 'Done'));
    reportFailure.next(outcome);
    this.definition = validate.next(this.map).next(report).next(outcome);

    if (props.createStateMachine === false) return;
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: WORKFLOW_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}

/** Values the rendered definition uses where the deployed one has CloudFormation references. */
const RENDER_PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com' };

/** Replaces `Fn::Join` and pseudo-parameter `Ref`s with plain strings. */
export function resolvePlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvePlain);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolvePlain(p))).join(separator);
  }
  if ('Ref' in o && typeof o.Ref === 'string') {
    const pseudo = RENDER_PSEUDO[o.Ref];
    if (pseudo === undefined) throw new Error(`cannot render a reference to ${o.Ref}`);
    return pseudo;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolvePlain(v)]));
}

/**
 * The workflow's ASL as plain JSON, with a given function ARN and bucket: what the deployed state
 * machine runs, for the local executor and the validator.
 *
 * @example
 * const asl = renderPackagingDefinition({ functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:packaging', bucketName: 'b', maxConcurrency: 10, toleratedFailurePercentage: 25 });
 */
export function renderPackagingDefinition(options: { functionArn: string; bucketName: string; maxConcurrency: number; toleratedFailurePercentage: number }): Record<string, unknown> {
  // The ResultWriter is rendered in its V2 form only under this flag, as cdk.json sets it.
  const stack = new Stack(new App({ context: { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true } }), 'Render');
  const workflow = new PackagingWorkflow(stack, 'Workflow', {
    packaging: lambda.Function.fromFunctionArn(stack, 'Packaging', options.functionArn),
    bucket: s3.Bucket.fromBucketName(stack, 'Bucket', options.bucketName),
    maxConcurrency: options.maxConcurrency,
    toleratedFailurePercentage: options.toleratedFailurePercentage,
    createStateMachine: false,
  });
  const graph = new sfn.StateGraph(workflow.definition.startState, 'render');
  graph.timeout = WORKFLOW_TIMEOUT;
  return resolvePlain(stack.resolve(graph.toGraphJson())) as Record<string, unknown>;
}
