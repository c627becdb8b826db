// Issue 16, item 1: the job functions' IAM is least privilege: iam:PassRole on the SageMaker role
// only (and only to SageMaker), sagemaker:Create*Job only on names with the stack's prefix, the
// status function creates nothing and passes no role; the SageMaker role writes only job outputs.
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_SERVICE_NAMES } from '../../infra/config.js';
import { functionLogicalId, onlyResource, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;
let sagemakerRoleId: string;

beforeAll(() => {
  synth = synthEdgeCvStack({ context: { prefix: 'acme-cv' } });
  template = synth.template;
  sagemakerRoleId = synth.stack.getLogicalId(synth.stack.jobs.sagemakerRole.node.defaultChild as never);
});
afterAll(() => synth.dispose());

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown>; Effect: string };

function statementsOfRole(roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function statementsOf(service: keyof typeof JOB_SERVICE_NAMES): Statement[] {
  const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId(template, JOB_SERVICE_NAMES[service])]!;
  return statementsOfRole(fn.Properties.Role['Fn::GetAtt'][0] as string);
}

const actions = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());
const withAction = (statements: Statement[], action: string) => statements.filter((s) => [s.Action].flat().includes(action));

describe('job functions', () => {
  it('exist once each, with the bucket, the prefix and (for the creators) the SageMaker role in their environment', () => {
    for (const service of Object.keys(JOB_SERVICE_NAMES) as Array<keyof typeof JOB_SERVICE_NAMES>) {
      const { resource } = onlyResource(template, 'AWS::Lambda::Function', (p) => p['Environment']?.['Variables']?.['POWERTOOLS_SERVICE_NAME'] === JOB_SERVICE_NAMES[service]);
      const env = resource.Properties.Environment.Variables;
      expect(env.JOB_NAME_PREFIX).toBe('acme-cv-');
      expect(env.BUCKET_NAME).toBeDefined();
      if (service === 'jobStatus') expect(env.SAGEMAKER_ROLE_ARN).toBeUndefined();
      else expect(env.SAGEMAKER_ROLE_ARN).toEqual({ 'Fn::GetAtt': [sagemakerRoleId, 'Arn'] });
    }
  });

  for (const [service, create, describeAction, kind] of [
    ['createTrainingJob', 'sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'training-job'],
    ['createCompilationJob', 'sagemaker:CreateCompilationJob', 'sagemaker:DescribeCompilationJob', 'compilation-job'],
  ] as const) {
    it(`${service}: ${create} only on ${kind}/acme-cv-*, and iam:PassRole only on the SageMaker role towards SageMaker`, () => {
      const statements = statementsOf(service);
      const creates = withAction(statements, create);
      expect(creates).toHaveLength(1);
      expect([creates[0]!.Action].flat().sort()).toEqual([create, describeAction].sort());
      expect(JSON.stringify(creates[0]!.Resource)).toContain(`:${kind}/acme-cv-*`);
      const pass = withAction(statements, 'iam:PassRole');
      expect(pass).toHaveLength(1);
      expect(pass[0]!.Resource).toEqual({ 'Fn::GetAtt': [sagemakerRoleId, 'Arn'] });
      expect(pass[0]!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
      expect(actions(statements).filter((a) => a.startsWith('sagemaker:Create'))).toEqual([create]);
      expect(actions(statements).some((a) => a.includes('*'))).toBe(false);
      expect(actions(statements)).not.toContain('s3:PutObject');
    });
  }

  it('jobStatus describes and lists, and creates nothing, passes no role and writes nothing', () => {
    const all = actions(statementsOf('jobStatus'));
    expect(all.filter((a) => a.startsWith('sagemaker:')).sort()).toEqual(['sagemaker:DescribeCompilationJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:ListCompilationJobs']);
    expect(all).not.toContain('iam:PassRole');
    expect(all).not.toContain('s3:PutObject');
    for (const s of withAction(statementsOf('jobStatus'), 'sagemaker:DescribeTrainingJob')) expect(JSON.stringify(s.Resource)).toContain(':training-job/acme-cv-*');
  });

  it('the SageMaker role is assumable by SageMaker alone and writes only under models/training/ and models/compilation/', () => {
    const role = template.findResources('AWS::IAM::Role')[sagemakerRoleId]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'sagemaker.amazonaws.com' } }),
    ]);
    const puts = withAction(statementsOfRole(sagemakerRoleId), 's3:PutObject');
    const resources = JSON.stringify(puts.map((s) => s.Resource));
    expect(resources).toContain('/models/training/*');
    expect(resources).toContain('/models/compilation/*');
    expect(resources).not.toContain('/deployments/');
    expect(resources).not.toContain('/datasets/');
    expect(actions(statementsOfRole(sagemakerRoleId))).not.toContain('s3:DeleteObject');
  });
});
