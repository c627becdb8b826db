// Issue 8: the four functions, their runtime, settings, environment
// contract with the handlers, EFS mounts, and IAM scoped to what each one does.
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_RUNTIME, STORAGE_THRESHOLDS } from '../../infra/config.js';
import { functionLogicalId, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;
let ids: Record<'producer' | 'consumer' | 'packaging' | 'migration', string>;

beforeAll(() => {
  synth = synthEdgeCvStack();
  template = synth.template;
  ids = {
    producer: functionLogicalId(template, 'producer'),
    consumer: functionLogicalId(template, 'consumer'),
    packaging: functionLogicalId(template, 'packaging'),
    migration: functionLogicalId(template, 'migration'),
  };
});
afterAll(() => synth.dispose());

const ref = (construct: { node: { defaultChild?: unknown } }): string =>
  synth.stack.getLogicalId(construct.node.defaultChild as never);
const fn = (service: keyof typeof ids): Record<string, any> =>
  template.findResources('AWS::Lambda::Function')[ids[service]]!.Properties;

/** Every IAM action granted to a function's role, by any policy attached to it. */
function actionsOf(service: keyof typeof ids): Set<string> {
  const roleId = fn(service).Role['Fn::GetAtt'][0] as string;
  const actions = new Set<string>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (!JSON.stringify(policy.Properties.Roles).includes(roleId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      for (const action of [statement.Action].flat()) actions.add(action as string);
    }
  }
  return actions;
}

/** Statements of a function's policies that mention `action`. */
function statementsWith(service: keyof typeof ids, action: string): Record<string, any>[] {
  const roleId = fn(service).Role['Fn::GetAtt'][0] as string;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
    .filter((s) => [s.Action].flat().includes(action));
}

describe('runtime', () => {
  it('pins the newest Node.js runtime this aws-cdk-lib offers', () => {
    const version = (r: lambda.Runtime): number => Number(/^nodejs(\d+)\.x$/.exec(r.name)?.[1] ?? -1);
    const newest = lambda.Runtime.ALL.filter((r) => r.family === lambda.RuntimeFamily.NODEJS && !r.isVariable)
      .map(version)
      .reduce((a, b) => Math.max(a, b));
    expect(version(LAMBDA_RUNTIME)).toBe(newest);
    expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
  });

  it('runs all four functions on it, on arm64, with handler index.handler', () => {
    for (const service of Object.keys(ids) as (keyof typeof ids)[]) {
      expect(fn(service)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    }
  });
});

describe('environment contract with the handlers', () => {
  const bucket = () => ({ Ref: ref(synth.stack.modelBucket.bucket) });
  const common = (service: string) => ({
    LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: service,
    METRICS_NAMESPACE: 'EdgeCvStack',
    NODE_OPTIONS: '--enable-source-maps',
  });

  it('producer and consumer: bucket and EFS mount path', () => {
    for (const service of ['producer', 'consumer'] as const) {
      expect(fn(service).Environment.Variables).toEqual({
        ...common(service),
        BUCKET_NAME: bucket(),
        EFS_MOUNT_PATH: '/mnt/efs',
      });
    }
  });

  it('packaging: bucket, the models table (for its report) and the storage thresholds from the shared constant', () => {
    expect(fn('packaging').Environment.Variables).toEqual({
      ...common('packaging'),
      BUCKET_NAME: bucket(),
      MODELS_TABLE: { Ref: ref(synth.stack.tables.models) },
      STORAGE_WARNING_RATIO: String(STORAGE_THRESHOLDS.warningRatio),
      STORAGE_CRITICAL_RATIO: String(STORAGE_THRESHOLDS.criticalRatio),
    });
    expect(STORAGE_THRESHOLDS).toEqual({ warningRatio: 0.8, criticalRatio: 0.95 });
  });

  it('migration: bucket and both table names', () => {
    expect(fn('migration').Environment.Variables).toEqual({
      ...common('migration'),
      BUCKET_NAME: bucket(),
      TRAINING_JOBS_TABLE: { Ref: ref(synth.stack.tables.trainingJobs) },
      MODELS_TABLE: { Ref: ref(synth.stack.tables.models) },
    });
  });
});

describe('producer and consumer', () => {
  it('run in the two private subnets with SG-Lambda and mount the access point at /mnt/efs', () => {
    const subnets = Object.keys(template.findResources('AWS::EC2::Subnet')).sort();
    const accessPoint = ref(synth.stack.sharedFileSystem.accessPoint);
    for (const service of ['producer', 'consumer'] as const) {
      const props = fn(service);
      expect(props.VpcConfig.SubnetIds.map((s: { Ref: string }) => s.Ref).sort()).toEqual(subnets);
      expect(props.VpcConfig.SecurityGroupIds).toEqual([
        { 'Fn::GetAtt': [ref(synth.stack.network.lambdaSecurityGroup), 'GroupId'] },
      ]);
      expect(props.FileSystemConfigs).toHaveLength(1);
      expect(props.FileSystemConfigs[0].LocalMountPath).toBe('/mnt/efs');
      expect(JSON.stringify(props.FileSystemConfigs[0].Arn)).toContain(accessPoint);
    }
  });

  it('wait for the mount targets before they are created', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const mountTargets = Object.keys(template.findResources('AWS::EFS::MountTarget'));
    for (const service of ['producer', 'consumer'] as const) {
      expect(functions[ids[service]]!.DependsOn).toEqual(expect.arrayContaining(mountTargets));
    }
  });
});

describe('packaging', () => {
  it('has 8,192 MiB of /tmp, 3,008 MB of memory and a 900 s timeout, outside the VPC', () => {
    expect(fn('packaging')).toMatchObject({
      EphemeralStorage: { Size: 8192 },
      MemorySize: 3008,
      Timeout: 900,
    });
    expect(fn('packaging').VpcConfig).toBeUndefined();
    expect(fn('migration').VpcConfig).toBeUndefined();
  });
});

describe('IAM', () => {
  const bucketArn = () => ({ 'Fn::GetAtt': [ref(synth.stack.modelBucket.bucket), 'Arn'] });
  const objectsArn = () => ({ 'Fn::Join': ['', [bucketArn(), '/*']] });

  it('grants s3:GetObject, s3:PutObject on the bucket\'s objects and s3:ListBucket on the bucket', () => {
    for (const service of Object.keys(ids) as (keyof typeof ids)[]) {
      for (const action of ['s3:GetObject', 's3:PutObject']) {
        const statements = statementsWith(service, action);
        expect(statements).toHaveLength(1);
        expect(statements[0]).toMatchObject({ Effect: 'Allow', Resource: objectsArn() });
      }
      // (Packaging's statement also lists multipart uploads, on the same bucket ARN.)
      const listing = statementsWith(service, 's3:ListBucket');
      expect(listing).toHaveLength(1);
      expect(listing[0]).toMatchObject({ Effect: 'Allow', Resource: bucketArn() });
      // Every S3 statement names this bucket or its objects, nothing else.
      const s3Statements = [...actionsOf(service)]
        .filter((a) => a.startsWith('s3:'))
        .flatMap((a) => statementsWith(service, a));
      const deployments = { 'Fn::Join': ['', [bucketArn(), '/deployments/*']] };
      for (const statement of s3Statements) {
        expect([bucketArn(), objectsArn(), deployments]).toContainEqual(statement.Resource);
      }
    }
  });

  it('gives each function exactly the actions it needs', () => {
    const efs = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'];
    const s3 = ['s3:GetObject', 's3:PutObject', 's3:ListBucket'];
    expect([...actionsOf('producer')].sort()).toEqual([...efs, ...s3].sort());
    expect([...actionsOf('consumer')].sort()).toEqual([...efs, ...s3].sort());
    expect([...actionsOf('packaging')].sort()).toEqual(
      [...s3, 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:ListBucketMultipartUploads', 'greengrass:CreateComponentVersion', 'dynamodb:PutItem'].sort(),
    );
    expect([...actionsOf('migration')].sort()).toEqual(
      [
        ...s3,
        's3:DeleteObject',
        's3:AbortMultipartUpload',
        's3:GetObjectTagging',
        's3:PutObjectTagging',
        'dynamodb:DescribeTable',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ].sort(),
    );
  });

  it('lets packaging resume and abort uploads only under deployments/, and delete nothing (published artifacts are immutable)', () => {
    const objectsUnder = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn(), `/${prefix}`]] });
    const statements = statementsWith('packaging', 's3:AbortMultipartUpload');
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Resource).toEqual(objectsUnder('deployments/*'));
    // Resuming an upload lists its parts under deployments/ only.
    expect(statementsWith('packaging', 's3:ListMultipartUploadParts')[0]!.Resource).toEqual(objectsUnder('deployments/*'));
    expect(statementsWith('packaging', 's3:DeleteObject')).toEqual([]);
  });

  it('never grants a wildcard action', () => {
    for (const service of Object.keys(ids) as (keyof typeof ids)[]) {
      for (const action of actionsOf(service)) expect(action).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('scopes DynamoDB to the two tables and Greengrass to components in this account and region', () => {
    const tableArns = [ref(synth.stack.tables.trainingJobs), ref(synth.stack.tables.models)];
    const dynamo = statementsWith('migration', 'dynamodb:UpdateItem');
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      for (const resource of [statement.Resource].flat()) {
        const text = JSON.stringify(resource);
        expect(tableArns.some((id) => text.includes(id)), text).toBe(true);
      }
    }
    // The packaging report goes to the models table and nowhere else.
    const report = statementsWith('packaging', 'dynamodb:PutItem');
    expect(report).toHaveLength(1);
    expect(JSON.stringify(report[0]!.Resource)).toContain(ref(synth.stack.tables.models));
    expect(JSON.stringify(report[0]!.Resource)).not.toContain(ref(synth.stack.tables.trainingJobs));
    const greengrass = statementsWith('packaging', 'greengrass:CreateComponentVersion');
    expect(greengrass).toHaveLength(1);
    expect(JSON.stringify(greengrass[0]!.Resource)).toMatch(
      /greengrass:.*AWS::Region.*AWS::AccountId.*:components:\*/,
    );
  });

  it('limits the EFS mount permission to this stack\'s access point', () => {
    for (const service of ['producer', 'consumer'] as const) {
      const mount = statementsWith(service, 'elasticfilesystem:ClientMount');
      expect(mount).toHaveLength(1);
      expect(JSON.stringify(mount[0]!.Condition)).toContain(ref(synth.stack.sharedFileSystem.accessPoint));
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'elasticfilesystem:ClientWrite' }),
        ]),
      },
    });
  });
});
