/**
 * Dashboard and alarms. The storage metrics are the EMF metrics
 * the library writes from inside the functions (namespace `EdgeCvStack`, dimension `Service`),
 * so there is no agent and no PutMetricData call; the API and Lambda metrics are AWS's own.
 * Storage alarms fire on `StorageUsedRatio >=` the same ratios the packaging Lambda is given.
 * Every alarm notifies one SNS topic when it fires and when it clears; mail is sent only when
 * an address is given (`-c alarmEmail=...`), so the topic is there to subscribe anything to.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE, SERVICE_NAMES, STORAGE_THRESHOLDS } from './config.js';

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** Name of the dashboard (unique per account and region). */
  readonly dashboardName: string;
  /** The packaging function, whose `/tmp` the storage metrics describe. */
  readonly packaging: lambda.IFunction;
  /** Every function whose errors and throttles are alarmed, by service name. */
  readonly functions: Readonly<Record<keyof typeof SERVICE_NAMES, lambda.IFunction>>;
  /** The REST API. */
  readonly api: apigateway.RestApi;
  /** Subscribed to the alarm topic by e-mail, if given. */
  readonly alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/** A library metric of the packaging function. */
function packagingMetric(metricName: string, statistic: string, unit?: cloudwatch.Unit): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { Service: SERVICE_NAMES.packaging },
    statistic,
    period: ONE_MINUTE,
    ...(unit ? { unit } : {}),
  });
}

/** The dashboard and the alarms. */
export class Monitoring extends Construct {
  /** The CloudWatch dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** `StorageUsedRatio >= STORAGE_WARNING_RATIO` on the packaging function. */
  readonly storageWarningAlarm: cloudwatch.Alarm;
  /** `StorageUsedRatio >= STORAGE_CRITICAL_RATIO` on the packaging function. */
  readonly storageCriticalAlarm: cloudwatch.Alarm;
  /** Every alarm of the stack. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Notified by every alarm, on ALARM and on OK. */
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic = alarmTopic(this, props.alarmEmail);

    const usedRatio = packagingMetric(METRIC_NAMES.usedRatio, 'Maximum');
    const availableBytes = packagingMetric(METRIC_NAMES.availableBytes, 'Minimum');
    const cleanups = packagingMetric(METRIC_NAMES.cleanups, 'Sum');
    const cleanupFailures = packagingMetric(METRIC_NAMES.cleanupFailures, 'Sum');
    const bytesFreed = packagingMetric(METRIC_NAMES.bytesFreed, 'Sum');
    // OperationDuration carries a second dimension (Operation) whose values the code decides,
    // so a search finds every operation instead of a fixed list here.
    const durationByOperation = new cloudwatch.MathExpression({
      expression:
        `SEARCH('{${METRICS_NAMESPACE},Operation,Service} ` +
        `MetricName="${METRIC_NAMES.operationDuration}" Service="${SERVICE_NAMES.packaging}"', 'Average', 60)`,
      label: 'OperationDuration (ms) by Operation',
      period: ONE_MINUTE,
      usingMetrics: {},
    });

    this.storageWarningAlarm = this.alarm('StorageWarningAlarm', {
      metric: usedRatio,
      threshold: STORAGE_THRESHOLDS.warningRatio,
      description: `packaging /tmp use reached the warning ratio (${STORAGE_THRESHOLDS.warningRatio})`,
    });
    this.storageCriticalAlarm = this.alarm('StorageCriticalAlarm', {
      metric: usedRatio,
      threshold: STORAGE_THRESHOLDS.criticalRatio,
      description: `packaging /tmp use reached the critical ratio (${STORAGE_THRESHOLDS.criticalRatio})`,
    });
    this.alarm('CleanupFailuresAlarm', {
      metric: cleanupFailures,
      threshold: 1,
      description: 'packaging could not remove some of its temporary files',
    });
    for (const [service, fn] of Object.entries(props.functions)) {
      const name = service.charAt(0).toUpperCase() + service.slice(1);
      this.alarm(`${name}ErrorsAlarm`, {
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        description: `${service} function invocations failed`,
      });
      this.alarm(`${name}ThrottlesAlarm`, {
        metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        description: `${service} function invocations were throttled`,
      });
    }
    this.alarm('ApiServerErrorsAlarm', {
      metric: props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      description: 'the API answered 5XX',
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## Packaging storage (`/tmp`)\nEMF metrics from storage-safe-archive, ' +
          `namespace \`${METRICS_NAMESPACE}\`, Service \`${SERVICE_NAMES.packaging}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Available bytes (min)',
        left: [availableBytes],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Used ratio (max)',
        left: [usedRatio],
        leftYAxis: { min: 0, max: 1 },
        leftAnnotations: [
          { value: STORAGE_THRESHOLDS.warningRatio, label: 'warning', color: cloudwatch.Color.ORANGE },
          { value: STORAGE_THRESHOLDS.criticalRatio, label: 'critical', color: cloudwatch.Color.RED },
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Cleanups',
        left: [cleanups, cleanupFailures],
        right: [bytesFreed],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Operation duration (ms)',
        left: [durationByOperation],
        width: 6,
      }),
    );
    // The usage pattern over weeks, one point per day, next to the live view.
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Used ratio and cleanups, daily, last 4 weeks',
        start: '-P28D',
        left: [usedRatio.with({ period: Duration.days(1) })],
        right: [cleanups.with({ period: Duration.days(1) }), cleanupFailures.with({ period: Duration.days(1) })],
        leftYAxis: { min: 0, max: 1 },
        width: 24,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [
          props.api.metricCount({ period: FIVE_MINUTES }),
          props.api.metricClientError({ period: FIVE_MINUTES }),
          props.api.metricServerError({ period: FIVE_MINUTES }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (p50, p90)',
        left: [
          props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' }),
          props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p90' }),
        ],
        width: 12,
      }),
    );
    const fns = Object.values(props.functions);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors and throttles',
        left: fns.map((fn) => fn.metricErrors({ period: FIVE_MINUTES })),
        right: fns.map((fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda duration (p90)',
        left: fns.map((fn) => fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p90' })),
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }

  private alarm(
    id: string,
    props: { metric: cloudwatch.IMetric; threshold: number; description: string },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: props.metric,
      threshold: props.threshold,
      alarmDescription: props.description,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No invocation means no metric: an idle POC is healthy, not in alarm.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const notify = new cloudwatchActions.SnsAction(this.alarmTopic);
    alarm.addAlarmAction(notify);
    alarm.addOkAction(notify);
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * The topic the alarms notify, encrypted with a key of its own: CloudWatch cannot publish to a
 * topic under the AWS-managed `alias/aws/sns` key, so the key's policy lets CloudWatch use it,
 * and the topic's policy lets only this account's alarms publish (and only over TLS).
 */
function alarmTopic(scope: Construct, email: string | undefined): sns.Topic {
  const { account, partition, region } = Stack.of(scope);
  const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: 'edge-cv-stack: encrypts the alarm topic',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudwatchService],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
  );
  const topic = new sns.Topic(scope, 'AlarmTopic', { displayName: 'edge-cv-stack alarms', masterKey: key, enforceSSL: true });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudwatchService],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        StringEquals: { 'aws:SourceAccount': account },
      },
    }),
  );
  if (email !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}
