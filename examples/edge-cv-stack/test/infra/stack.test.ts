// The stack's outputs, the context settings, and a structural summary of the
// template (counts per resource type), which fails loudly if a construct adds or drops a resource.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackSettings } from '../../infra/config.js';
import { cdkJsonContext, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;

beforeAll(() => {
  // The one synth that also runs CDK's CloudFormation validation, as `cdk synth` does: it
  // throws on a template CloudFormation would reject.
  synth = synthEdgeCvStack({ cfnValidation: true });
  template = synth.template;
});
afterAll(() => synth.dispose());

const ref = (construct: { node: { defaultChild?: unknown } }): string =>
  synth.stack.getLogicalId(construct.node.defaultChild as never);

describe('outputs', () => {
  it('give the file system ID, access point ARN, security groups, subnets, bucket and API URL', () => {
    const outputs = template.findOutputs('*');
    const { stack } = synth;
    expect(outputs['FileSystemId']!.Value).toEqual({ Ref: ref(stack.sharedFileSystem.fileSystem) });
    expect(JSON.stringify(outputs['AccessPointArn']!.Value)).toContain(ref(stack.sharedFileSystem.accessPoint));
    expect(JSON.stringify(outputs['AccessPointArn']!.Value)).toContain(':access-point/');
    expect(outputs['LambdaSecurityGroupId']!.Value).toEqual({
      'Fn::GetAtt': [ref(stack.network.lambdaSecurityGroup), 'GroupId'],
    });
    expect(outputs['EfsSecurityGroupId']!.Value).toEqual({
      'Fn::GetAtt': [ref(stack.network.efsSecurityGroup), 'GroupId'],
    });
    const subnets = Object.keys(template.findResources('AWS::EC2::Subnet')).sort();
    const joined = outputs['PrivateSubnetIds']!.Value['Fn::Join'];
    expect(joined[0]).toBe(',');
    expect(joined[1].map((s: { Ref: string }) => s.Ref).sort()).toEqual(subnets);
    expect(outputs['BucketName']!.Value).toEqual({ Ref: ref(stack.modelBucket.bucket) });
    expect(JSON.stringify(outputs['ApiUrl']!.Value)).toContain('execute-api');
  });

  it('give what the demo needs to force a cold start and find the evidence', () => {
    const outputs = template.findOutputs('*');
    for (const name of ['ConsumerFunctionName', 'ProducerFunctionName', 'AccessPointId', 'DashboardName']) {
      expect(outputs[name], name).toBeDefined();
    }
  });
});

describe('context settings', () => {
  it('default to the prefix and retention of cdk.json', () => {
    expect(cdkJsonContext()).toMatchObject({ prefix: 'edge-cv-poc', retainData: true });
    const app = new App({ context: cdkJsonContext() });
    expect(readStackSettings(app.node)).toEqual({ prefix: 'edge-cv-poc', retainData: true });
  });

  it('read -c retainData=false (a string on the command line) as false', () => {
    const app = new App({ context: { prefix: 'my-team', retainData: 'false' } });
    expect(readStackSettings(app.node)).toEqual({ prefix: 'my-team', retainData: false });
  });

  it('reject a prefix that cannot make a bucket name, saying what to try', () => {
    for (const prefix of ['My_Team', 'a', '-lead', 'x'.repeat(47), 'with.dot']) {
      const app = new App({ context: { prefix } });
      expect(() => readStackSettings(app.node), prefix).toThrow(/context "prefix".*Try: cdk deploy -c prefix=/s);
    }
  });
});

describe('CloudFormation validation', () => {
  it('passes CDK\'s built-in validation with no error or warning left unacknowledged', () => {
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
    };
    const findings = report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName}`));
    expect(findings).toEqual([]);
  });
});

describe('template summary', () => {
  it('has the expected resources of each kind', () => {
    const count = (type: string): number => Object.keys(template.findResources(type)).length;
    expect({
      functions: count('AWS::Lambda::Function'),
      tables: count('AWS::DynamoDB::Table'),
      buckets: count('AWS::S3::Bucket'),
      fileSystems: count('AWS::EFS::FileSystem'),
      accessPoints: count('AWS::EFS::AccessPoint'),
      mountTargets: count('AWS::EFS::MountTarget'),
      keys: count('AWS::KMS::Key'),
      securityGroups: count('AWS::EC2::SecurityGroup'),
      restApis: count('AWS::ApiGateway::RestApi'),
      dashboards: count('AWS::CloudWatch::Dashboard'),
      topics: count('AWS::SNS::Topic'),
    }).toEqual({
      // Four handlers, the three SageMaker job handlers, and CDK's bucket-notification helper.
      functions: 8,
      tables: 2,
      buckets: 1,
      fileSystems: 1,
      accessPoints: 1,
      mountTargets: 2,
      // The data key, and the alarm topic's (CloudWatch may use that one, never the data key).
      keys: 2,
      securityGroups: 2,
      restApis: 1,
      dashboards: 1,
      topics: 1,
    });
  });
});
