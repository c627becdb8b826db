// issue 8: a dashboard for the packaging storage metrics and the
// API, and alarms on storage warning/critical, errors and throttles, on the library's EMF names.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES as LIBRARY_METRIC_NAMES } from 'storage-safe-archive';
import { METRIC_NAMES, STORAGE_THRESHOLDS } from '../../infra/config.js';
import { App } from 'aws-cdk-lib';
import { readStackSettings } from '../../infra/config.js';
import { functionLogicalId, onlyResource, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;
let dashboard: string;

beforeAll(() => {
  synth = synthEdgeCvStack();
  template = synth.template;
  const body = onlyResource(template, 'AWS::CloudWatch::Dashboard').resource.Properties.DashboardBody;
  // The body is a Fn::Join of JSON text and references; the literal parts are what we check.
  dashboard = JSON.stringify(body);
});
afterAll(() => synth.dispose());

const SERVICES = ['packaging', 'migration', 'producer', 'consumer'] as const;

describe('EMF metric names', () => {
  it('are exactly those the library emits', () => {
    expect(METRIC_NAMES).toEqual({
      availableBytes: 'StorageAvailableBytes',
      usedRatio: 'StorageUsedRatio',
      bytesFreed: 'StorageBytesFreed',
      cleanups: 'CleanupsPerformed',
      cleanupFailures: 'CleanupFailures',
      operationDuration: 'OperationDuration',
    });
    expect(new Set(Object.values(METRIC_NAMES))).toEqual(new Set(Object.values(LIBRARY_METRIC_NAMES)));
  });
});

describe('dashboard', () => {
  it('is named after the prefix', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'test-edge-cv-stack' });
  });

  it('shows available bytes, used ratio, cleanups and duration of the packaging function', () => {
    for (const name of ['StorageAvailableBytes', 'StorageUsedRatio', 'CleanupsPerformed', 'CleanupFailures', 'StorageBytesFreed']) {
      expect(dashboard).toMatch(new RegExp(`\\[\\\\"EdgeCvStack\\\\",\\\\"${name}\\\\",\\\\"Service\\\\",\\\\"packaging\\\\"`));
    }
    expect(dashboard).toContain('SEARCH(');
    expect(dashboard).toContain('MetricName=\\\\\\"OperationDuration\\\\\\" Service=\\\\\\"packaging\\\\\\"');
  });

  it('marks the warning and critical ratios on the used-ratio graph', () => {
    expect(dashboard).toContain(`\\"value\\":${STORAGE_THRESHOLDS.warningRatio}`);
    expect(dashboard).toContain(`\\"value\\":${STORAGE_THRESHOLDS.criticalRatio}`);
  });

  it('shows the storage pattern over four weeks, one point per day', () => {
    expect(dashboard).toContain('\\"start\\":\\"-P28D\\"');
    expect(dashboard).toMatch(/StorageUsedRatio[^\]]*\\"period\\":86400/);
  });

  it('shows the API requests, errors and latency, and every function', () => {
    for (const name of ['Count', '4XXError', '5XXError', 'Latency']) {
      expect(dashboard).toMatch(new RegExp(`\\\\"AWS/ApiGateway\\\\",\\\\"${name}\\\\"`));
    }
    for (const service of SERVICES) expect(dashboard).toContain(functionLogicalId(template, service));
  });
});

describe('alarms', () => {
  it('number at least four', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThanOrEqual(4);
  });

  for (const [level, ratio, envVar] of [
    ['warning', STORAGE_THRESHOLDS.warningRatio, 'STORAGE_WARNING_RATIO'],
    ['critical', STORAGE_THRESHOLDS.criticalRatio, 'STORAGE_CRITICAL_RATIO'],
  ] as const) {
    it(`fire on StorageUsedRatio >= the ${level} ratio the packaging function is given`, () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'EdgeCvStack',
        MetricName: 'StorageUsedRatio',
        Dimensions: [{ Name: 'Service', Value: 'packaging' }],
        Statistic: 'Maximum',
        Threshold: ratio,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      const packaging = template.findResources('AWS::Lambda::Function')[functionLogicalId(template, 'packaging')]!;
      expect(Number(packaging.Properties.Environment.Variables[envVar])).toBe(ratio);
    });
  }

  it('fire on errors and on throttles of every function', () => {
    for (const service of SERVICES) {
      const fnRef = { Ref: functionLogicalId(template, service) };
      for (const metricName of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: fnRef }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    }
  });

  it('fire on cleanup failures and on API 5XX answers', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'EdgeCvStack',
      MetricName: 'CleanupFailures',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: Match.arrayWith([Match.objectLike({ Name: 'ApiName' })]),
    });
  });
});

describe('alarm notifications', () => {
  it('every alarm notifies the one alarm topic when it fires and when it clears', () => {
    const topic = onlyResource(template, 'AWS::SNS::Topic').logicalId;
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topic }]);
    }
  });

  it('the topic is encrypted with a rotated key of its own that CloudWatch may use, and takes TLS only', () => {
    const key = onlyResource(template, 'AWS::KMS::Key', (p) => String(p.Description).includes('alarm topic'));
    expect(key.resource.Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key.logicalId, 'Arn'] } });
    const keyStatements = key.resource.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string }; Action: string[] }>;
    const forCloudWatch = keyStatements.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(forCloudWatch?.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: Match.objectLike({ ArnLike: Match.anyValue() }) }),
        ]),
      },
    });
  });

  it('mails nobody by default', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('mails the address given with -c alarmEmail, and refuses anything but one address', () => {
    const withEmail = synthEdgeCvStack({ context: { alarmEmail: 'ops@example.com' } });
    try {
      withEmail.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    } finally {
      withEmail.dispose();
    }
    for (const alarmEmail of ['ops', 'a@b.c,d@e.f', 'ops @example.com']) {
      const app = new App({ context: { alarmEmail } });
      expect(() => readStackSettings(app.node), alarmEmail).toThrow(/context "alarmEmail".*Try: cdk deploy -c alarmEmail=/s);
    }
  });
});
