// Issue 16, item 2: the packaging fan-out on Step Functions. The definition as deployed: a
// Distributed Map over the targets with the configured concurrency and tolerated failures, each
// target retried with backoff on throttling and timeouts, results to S3 by the ResultWriter, a
// report step after it; IAM for the child workflow executions; and the emitted ASL passes
// asl-validator (the deployed definition and the rendering the local mode runs).
import validateAsl from 'asl-validator';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAP_RESULTS_PREFIX, RETRYABLE_ERRORS, renderPackagingDefinition, resolvePlain } from '../../infra/packaging-workflow.js';
import { functionLogicalId, onlyResource, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;
let asl: Record<string, any>;
let stateMachineId: string;

/** The deployed DefinitionString with every CloudFormation reference replaced by a plain ARN or name. */
function deployedDefinition(resource: Record<string, any>): Record<string, any> {
  const withRefs = JSON.parse(JSON.stringify(resource.Properties.DefinitionString), (_k, v: unknown) => {
    const o = v as Record<string, unknown> | null;
    if (o && typeof o === 'object' && 'Fn::GetAtt' in o) return `arn:aws:lambda:us-east-1:123456789012:function:${(o['Fn::GetAtt'] as string[])[0]}`;
    if (o && typeof o === 'object' && 'Ref' in o && !String(o.Ref).startsWith('AWS::')) return `bucket-${String(o.Ref).toLowerCase()}`;
    return v;
  });
  return JSON.parse(resolvePlain(withRefs) as string) as Record<string, any>;
}

beforeAll(() => {
  synth = synthEdgeCvStack({ context: { packagingMaxConcurrency: '7', packagingToleratedFailurePercentage: '40' } });
  template = synth.template;
  const sm = onlyResource(template, 'AWS::StepFunctions::StateMachine');
  stateMachineId = sm.logicalId;
  asl = deployedDefinition(sm.resource);
});
afterAll(() => synth.dispose());

describe('packaging state machine', () => {
  it('validates, fans out, then reports, and fails the execution only when the report says FAILED', () => {
    expect(asl.StartAt).toBe('Validate');
    expect(asl.States.Validate.Next).toBe('PackageTargets');
    expect(asl.States.PackageTargets.Next).toBe('Report');
    expect(asl.States.Report.Next).toBe('Succeeded?');
    expect(asl.States.PackageTargets.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.mapError', Next: 'ReportMapFailure' }]);
    expect(asl.States['Succeeded?'].Choices).toEqual([{ Variable: '$.status', StringEquals: 'FAILED', Next: 'RunFailed' }]);
    expect(asl.States.RunFailed.Type).toBe('Fail');
  });

  it('maps over the targets in DISTRIBUTED mode with the configured concurrency and tolerated failures', () => {
    const map = asl.States.PackageTargets;
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemsPath).toBe('$.items');
    expect(map.MaxConcurrency).toBe(7);
    expect(map.ToleratedFailurePercentage).toBe(40);
    expect(map.ResultWriter.Resource).toBe('arn:aws:states:::s3:putObject');
    expect(map.ResultWriter.Parameters.Prefix).toBe(MAP_RESULTS_PREFIX);
    expect(map.ResultPath).toBe('$.results');
  });

  it('invokes the packaging function for each target, retried with exponential backoff on throttling and timeouts', () => {
    const task = asl.States.PackageTargets.ItemProcessor.States.PackageTarget;
    const packaging = functionLogicalId(template, 'packaging');
    expect(task.Resource).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${packaging}`);
    expect(task.Parameters).toEqual({ step: 'target', 'item.$': '$' });
    expect(task.TimeoutSeconds).toBe(900);
    expect(task.Retry).toEqual([
      { ErrorEquals: [...RETRYABLE_ERRORS], IntervalSeconds: 5, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
    ]);
    expect(task.Retry[0].ErrorEquals).toEqual(expect.arrayContaining(['Lambda.TooManyRequestsException', 'States.Timeout']));
  });

  it('may start, describe, stop and redrive its own child workflow executions, and nothing else of Step Functions', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, any>>);
    const start = statements.filter((s) => [s.Action].flat().includes('states:StartExecution'));
    expect(start).toHaveLength(1);
    expect(start[0]!.Resource).toEqual({ Ref: stateMachineId });
    const others = statements.filter((s) => [s.Action].flat().some((a: string) => a === 'states:DescribeExecution' || a === 'states:StopExecution'));
    expect(JSON.stringify(others.map((s) => s.Resource))).toContain(':execution:');
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('states:')).sort()).toEqual(['states:DescribeExecution', 'states:RedriveExecution', 'states:StartExecution', 'states:StopExecution']);
  });

  it('logs every event and traces with X-Ray', () => {
    const { resource } = onlyResource(template, 'AWS::StepFunctions::StateMachine');
    expect(resource.Properties.LoggingConfiguration.Level).toBe('ALL');
    expect(resource.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('refuses a concurrency outside 1-1000', () => {
    expect(() => synthEdgeCvStack({ context: { packagingMaxConcurrency: '0' } })).toThrow(/packagingMaxConcurrency.*1 to 1000/);
  });
});

describe('ASL', () => {
  it('the deployed definition passes asl-validator', () => {
    const result = validateAsl(structuredClone(asl));
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('the rendering the local mode runs passes it too, and equals the deployed definition but for names', () => {
    const rendered = renderPackagingDefinition({ functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:packaging', bucketName: 'render-bucket', maxConcurrency: 7, toleratedFailurePercentage: 40 });
    expect(validateAsl(structuredClone(rendered)).isValid).toBe(true);
    const normalise = (d: unknown) => JSON.stringify(d).replace(/arn:aws:lambda:[^"]+/g, 'FN').replace(/"Bucket":"[^"]+"/g, '"Bucket":"B"');
    expect(normalise(rendered)).toBe(normalise(asl));
  });

  it('asl-validator does reject a broken map (the check is live)', () => {
    const broken = structuredClone(asl);
    broken.States.PackageTargets.Next = 'Nowhere';
    expect(validateAsl(broken).isValid).toBe(false);
  });
});
