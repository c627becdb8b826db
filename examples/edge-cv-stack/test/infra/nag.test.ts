// Issue 8: cdk-nag's AWS Solutions pack finds nothing unacknowledged, and every acknowledgment
// carries a reason. cdk-nag 3 is a CDK policy-validation plugin (no longer an Aspect writing
// annotations), so the pack is run on the construct tree with validateScope().
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;

beforeAll(() => {
  synth = synthEdgeCvStack();
});
afterAll(() => synth.dispose());

function allConstructs(root: IConstruct): IConstruct[] {
  return [root, ...root.node.children.flatMap(allConstructs)];
}

describe('cdk-nag AwsSolutionsChecks', () => {
  it('reports no unacknowledged finding, error or warning', () => {
    const report = new AwsSolutionsChecks(synth.app).validateScope(synth.stack);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('leaves no AwsSolutions error annotation on the stack', () => {
    const errors = Annotations.fromStack(synth.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors).toEqual([]);
  });

  it('acknowledges each finding with a reason a reviewer can check', () => {
    const acknowledged = allConstructs(synth.stack).flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>)),
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      if (!/AwsSolutions-/.test(id)) continue;
      expect(reason.length, id).toBeGreaterThanOrEqual(40);
    }
    // No blanket acknowledgment on the stack itself: each one sits on the construct it excuses.
    const onStack = synth.stack.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as Record<string, string>))
      .filter((id) => id.startsWith('AwsSolutions-'));
    expect(onStack).toEqual([]);
  });

  it('does find problems in a stack that has them (the check is live)', () => {
    const stack = new Stack(new App(), 'Careless');
    new s3.Bucket(stack, 'Open', { enforceSSL: false });
    const report = new AwsSolutionsChecks().validateScope(stack);
    const rules = report.violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
    expect(report.success).toBe(false);
  });
});
