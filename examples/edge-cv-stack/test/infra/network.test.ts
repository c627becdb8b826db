// Two private subnets in two AZs, no NAT, S3 gateway
// endpoint, SG-Lambda -> SG-EFS on TCP 2049 only.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;
let lambdaSg: string;
let efsSg: string;

beforeAll(() => {
  synth = synthEdgeCvStack();
  template = synth.template;
  lambdaSg = synth.stack.getLogicalId(synth.stack.network.lambdaSecurityGroup.node.defaultChild as never);
  efsSg = synth.stack.getLogicalId(synth.stack.network.efsSecurityGroup.node.defaultChild as never);
});
afterAll(() => synth.dispose());

describe('VPC', () => {
  it('has exactly two subnets, both private, in two different availability zones', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    const zones = subnets.map((s) => JSON.stringify(s.Properties.AvailabilityZone));
    expect(new Set(zones).size).toBe(2);
    template.hasResourceProperties('AWS::EC2::Subnet', {
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
    });
  });

  it('has no NAT gateway, no internet gateway and no route out of the VPC', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
  });

  it('has an S3 gateway endpoint on both subnets\' route tables', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    const { resource } = onlyResource(template, 'AWS::EC2::VPCEndpoint');
    expect(resource.Properties.VpcEndpointType).toBe('Gateway');
    expect(JSON.stringify(resource.Properties.ServiceName)).toMatch(/\.s3"/);
    expect(resource.Properties.RouteTableIds).toHaveLength(2);
  });

  it('logs rejected traffic (flow logs) to CloudWatch Logs', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
  });
});

describe('security groups', () => {
  it('SG-EFS admits TCP 2049 from SG-Lambda and nothing else', () => {
    const ingressToEfs = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => JSON.stringify(r.Properties.GroupId).includes(efsSg),
    );
    expect(ingressToEfs.length).toBeGreaterThan(0);
    for (const rule of ingressToEfs) {
      expect(rule.Properties).toMatchObject({
        IpProtocol: 'tcp',
        FromPort: 2049,
        ToPort: 2049,
        SourceSecurityGroupId: { 'Fn::GetAtt': [lambdaSg, 'GroupId'] },
      });
    }
    const efsGroup = template.findResources('AWS::EC2::SecurityGroup')[efsSg]!;
    expect(efsGroup.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('SG-EFS opens no egress, and nothing may reach SG-Lambda', () => {
    const efsGroup = template.findResources('AWS::EC2::SecurityGroup')[efsSg]!;
    // CDK's marker for "no egress": a rule to 255.255.255.255/32 that matches no traffic.
    expect(efsGroup.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32' }),
    ]);
    const lambdaGroup = template.findResources('AWS::EC2::SecurityGroup')[lambdaSg]!;
    expect(lambdaGroup.Properties.SecurityGroupIngress).toBeUndefined();
    const ingressToLambda = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => JSON.stringify(r.Properties.GroupId).includes(lambdaSg),
    );
    expect(ingressToLambda).toHaveLength(0);
  });

  it('SG-Lambda may only send NFS to SG-EFS and HTTPS (to the S3 endpoint)', () => {
    const lambdaGroup = template.findResources('AWS::EC2::SecurityGroup')[lambdaSg]!;
    const inline = (lambdaGroup.Properties.SecurityGroupEgress ?? []) as Record<string, unknown>[];
    const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(lambdaSg))
      .map((r) => r.Properties as Record<string, unknown>);
    const egress = [...inline, ...separate];
    expect(egress).toHaveLength(2);
    expect(egress).toContainEqual(
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
    );
    expect(egress).toContainEqual(
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 2049,
        ToPort: 2049,
        DestinationSecurityGroupId: { 'Fn::GetAtt': [efsSg, 'GroupId'] },
      }),
    );
  });
});
