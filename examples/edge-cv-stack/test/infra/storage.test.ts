// issue 8: tables with on-demand billing and
// PITR; removal policies chosen per kind of data.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_PREFIXES, EFS_ACCESS_POINT } from '../../infra/config.js';
import { JobTables, ModelBucket, NONCURRENT_VERSION_DAYS, NONCURRENT_VERSIONS_KEPT } from '../../infra/storage.js';
import { functionLogicalId, onlyResource, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;

beforeAll(() => {
  synth = synthEdgeCvStack();
  template = synth.template;
});
afterAll(() => synth.dispose());

const logicalId = (construct: { node: { defaultChild?: unknown } }): string =>
  synth.stack.getLogicalId(construct.node.defaultChild as never);

describe('EFS', () => {
  it('is encrypted with a customer-managed KMS key that rotates', () => {
    const keyId = logicalId(synth.stack.sharedFileSystem.key);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::EFS::FileSystem', {
      Encrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.resourceCountIs('AWS::EFS::FileSystem', 1);
  });

  it('has one mount target per private subnet, each in SG-EFS', () => {
    const efsSg = logicalId(synth.stack.network.efsSecurityGroup);
    const targets = Object.values(template.findResources('AWS::EFS::MountTarget'));
    expect(targets).toHaveLength(2);
    const subnetIds = Object.keys(template.findResources('AWS::EC2::Subnet')).sort();
    expect(targets.map((t) => t.Properties.SubnetId.Ref).sort()).toEqual(subnetIds);
    for (const target of targets) {
      expect(target.Properties.SecurityGroups).toEqual([{ 'Fn::GetAtt': [efsSg, 'GroupId'] }]);
    }
  });

  it('has an access point rooted at /lambda acting as 1000:1000, creating the root 1000:1000 0750', () => {
    template.resourceCountIs('AWS::EFS::AccessPoint', 1);
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      FileSystemId: { Ref: logicalId(synth.stack.sharedFileSystem.fileSystem) },
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: {
        Path: '/lambda',
        CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' },
      },
    });
    expect(EFS_ACCESS_POINT.path).toBe('/lambda');
  });

  it('is deleted with the stack, key included (it is a working copy of S3)', () => {
    template.hasResource('AWS::EFS::FileSystem', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::KMS::Key', { PendingWindowInDays: 7 });
  });
});

describe('S3 bucket', () => {
  it('is named <prefix>-ml-models-bucket with the prefix from context', () => {
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'test-ml-models-bucket' });
  });

  it('is encrypted, blocks all public access and enforces TLS', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('aborts abandoned multipart uploads after a day', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('is versioned, and expires noncurrent versions after 30 days keeping the newest 3 (issue 15)', () => {
    const bucket = template.toJSON().Resources[logicalId(synth.stack.modelBucket.bucket)];
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect([NONCURRENT_VERSION_DAYS, NONCURRENT_VERSIONS_KEPT]).toEqual([30, 3]);
    const rule = (bucket.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>).find((r) => r.Id === 'expire-noncurrent-versions');
    expect(rule).toEqual({
      Id: 'expire-noncurrent-versions',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 3 },
      ExpiredObjectDeleteMarker: true,
    });
    // The rule touches noncurrent versions only: no current object ever expires.
    for (const r of bucket.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>) {
      expect(r).not.toHaveProperty('ExpirationInDays');
      expect(r).not.toHaveProperty('ExpirationDate');
    }
  });

  it('triggers the producer on ObjectCreated under models/', () => {
    expect(BUCKET_PREFIXES).toEqual({ models: 'models/', inputs: 'inputs/', outputs: 'outputs/' });
    const producer = functionLogicalId(template, 'producer');
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(synth.stack.modelBucket.bucket) },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'models/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [producer, 'Arn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 's3.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [producer, 'Arn'] },
    });
  });

  it('is retained by default when the stack is deleted', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('DynamoDB tables', () => {
  it('has a training-jobs and a models table, on demand, with point-in-time recovery', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    for (const [name, key] of [
      ['test-training-jobs', 'job_name'],
      ['test-models', 'model_id'],
    ] as const) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      });
    }
  });

  it('is retained by default when the stack is deleted', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    for (const table of tables) expect(table.DeletionPolicy).toBe('Retain');
  });
});

describe('retainData=false', () => {
  it('deletes the bucket and the tables with the stack', () => {
    const stack = new Stack(new App(), 'Scratch');
    new ModelBucket(stack, 'Bucket', { prefix: 'scratch', retain: false });
    new JobTables(stack, 'Tables', { prefix: 'scratch', retain: false });
    const scratch = Template.fromStack(stack);
    scratch.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    const tables = Object.values(scratch.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(2);
    for (const table of tables) expect(table.DeletionPolicy).toBe('Delete');
    expect(onlyResource(scratch, 'AWS::S3::Bucket').resource.Properties.BucketName).toBe('scratch-ml-models-bucket');
  });
});
