/**
 * The whole example in one stack: network, storage, compute, API and monitoring, wired together,
 * plus the outputs a deployer (and the demo script) needs.
 */
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import type { Construct } from 'constructs';
import { Api } from './api.js';
import { Compute } from './compute.js';
import { Jobs } from './jobs.js';
import { BUCKET_PREFIXES, PACKAGING_WORKFLOW_DEFAULTS, type StackSettings } from './config.js';
import { PackagingWorkflow } from './packaging-workflow.js';
import { Monitoring } from './monitoring.js';
import { acknowledgeNagFindings } from './nag-acknowledgments.js';
import { Network } from './network.js';
import { JobTables, ModelBucket, SharedFileSystem } from './storage.js';

/** Props of {@link EdgeCvStack}. */
export interface EdgeCvStackProps extends StackProps {
  /** Settings from CDK context (see `readStackSettings`). */
  readonly settings: StackSettings;
}

/**
 * VPC + EFS + S3 + DynamoDB + four Lambdas + REST API + dashboard and alarms.
 *
 * @example
 * const app = new App();
 * new EdgeCvStack(app, 'EdgeCvStack', { settings: readStackSettings(app.node) });
 */
export class EdgeCvStack extends Stack {
  /** VPC, subnets, security groups. */
  readonly network: Network;
  /** EFS, its key and access point. */
  readonly sharedFileSystem: SharedFileSystem;
  /** The `<prefix>-ml-models-bucket` bucket. */
  readonly modelBucket: ModelBucket;
  /** Training jobs and models tables. */
  readonly tables: JobTables;
  /** The four functions. */
  readonly compute: Compute;
  /** The SageMaker job functions and the role the jobs run as. */
  readonly jobs: Jobs;
  /** The packaging fan-out on Step Functions. */
  readonly packagingWorkflow: PackagingWorkflow;
  /** The REST API. */
  readonly api: Api;
  /** Dashboard and alarms. */
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: EdgeCvStackProps) {
    super(scope, id, props);
    const { prefix, retainData } = props.settings;

    this.network = new Network(this, 'Network');
    this.sharedFileSystem = new SharedFileSystem(this, 'SharedFileSystem', this.network);
    this.modelBucket = new ModelBucket(this, 'ModelBucket', { prefix, retain: retainData });
    this.tables = new JobTables(this, 'Tables', { prefix, retain: retainData });
    this.compute = new Compute(this, 'Compute', {
      network: this.network,
      fileSystem: this.sharedFileSystem,
      bucket: this.modelBucket,
      tables: this.tables,
    });

    // A model landing under models/ is copied onto EFS.
    this.modelBucket.bucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.LambdaDestination(this.compute.producer),
      { prefix: BUCKET_PREFIXES.models },
    );

    this.jobs = new Jobs(this, 'Jobs', { prefix, bucket: this.modelBucket });
    this.packagingWorkflow = new PackagingWorkflow(this, 'PackagingWorkflow', {
      packaging: this.compute.packaging,
      bucket: this.modelBucket.bucket,
      maxConcurrency: props.settings.packagingMaxConcurrency ?? PACKAGING_WORKFLOW_DEFAULTS.maxConcurrency,
      toleratedFailurePercentage: props.settings.packagingToleratedFailurePercentage ?? PACKAGING_WORKFLOW_DEFAULTS.toleratedFailurePercentage,
    });

    this.api = new Api(this, 'Api', {
      producer: this.compute.producer,
      consumer: this.compute.consumer,
      jobs: this.jobs,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      dashboardName: `${prefix}-edge-cv-stack`,
      packaging: this.compute.packaging,
      functions: {
        packaging: this.compute.packaging,
        migration: this.compute.migration,
        producer: this.compute.producer,
        consumer: this.compute.consumer,
      },
      api: this.api.restApi,
      ...(props.settings.alarmEmail === undefined ? {} : { alarmEmail: props.settings.alarmEmail }),
    });

    this.addOutputs();
    acknowledgeNagFindings(this);
  }

  private addOutputs(): void {
    const subnets = this.network.vpc.selectSubnets(this.network.privateSubnets);
    const outputs: Record<string, { value: string; description: string }> = {
      FileSystemId: { value: this.sharedFileSystem.fileSystem.fileSystemId, description: 'EFS file system ID' },
      AccessPointArn: { value: this.sharedFileSystem.accessPoint.accessPointArn, description: 'EFS access point ARN (/lambda, 1000:1000)' },
      AccessPointId: { value: this.sharedFileSystem.accessPoint.accessPointId, description: 'EFS access point ID' },
      LambdaSecurityGroupId: { value: this.network.lambdaSecurityGroup.securityGroupId, description: 'SG-Lambda' },
      EfsSecurityGroupId: { value: this.network.efsSecurityGroup.securityGroupId, description: 'SG-EFS (TCP 2049 from SG-Lambda)' },
      PrivateSubnetIds: { value: Fn.join(',', subnets.subnetIds), description: 'Private subnets (one per AZ)' },
      BucketName: { value: this.modelBucket.bucket.bucketName, description: 'System-of-record bucket' },
      ApiUrl: { value: this.api.restApi.url, description: 'Base URL: POST ingest and predict under it' },
      TrainingJobsTableName: { value: this.tables.trainingJobs.tableName, description: 'Training jobs table' },
      ModelsTableName: { value: this.tables.models.tableName, description: 'Models table' },
      ProducerFunctionName: { value: this.compute.producer.functionName, description: 'Producer Lambda' },
      ConsumerFunctionName: { value: this.compute.consumer.functionName, description: 'Consumer Lambda' },
      PackagingFunctionName: { value: this.compute.packaging.functionName, description: 'Packaging Lambda' },
      MigrationFunctionName: { value: this.compute.migration.functionName, description: 'Migration Lambda' },
      PackagingStateMachineArn: { value: this.packagingWorkflow.stateMachine?.stateMachineArn ?? '', description: 'Packaging workflow: start an execution with the packaging event' },
      SageMakerRoleArn: { value: this.jobs.sagemakerRole.roleArn, description: 'Role SageMaker training and compilation jobs run as' },
      DashboardName: { value: this.monitoring.dashboard.dashboardName, description: 'CloudWatch dashboard' },
      AlarmTopicArn: { value: this.monitoring.alarmTopic.topicArn, description: 'SNS topic every alarm notifies (subscribe to it, or deploy with -c alarmEmail=...)' },
    };
    for (const [id, output] of Object.entries(outputs)) new CfnOutput(this, id, output);
  }
}
