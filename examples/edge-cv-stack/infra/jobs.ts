/**
 * The SageMaker job functions (issue 16): create a training job, create
 * one Neo compilation job per target, and report a job's status with its S3 paths. Each gets only
 * what it calls:
 * - `sagemaker:CreateTrainingJob` / `CreateCompilationJob` and the matching Describe on job names
 *   starting with `<prefix>-` (the handlers refuse other names with a 400);
 * - `iam:PassRole` on the SageMaker execution role alone, and only towards SageMaker;
 * - S3 reads on the prefixes whose objects they report (`s3:ListBucket` too, so that a missing
 *   object is a 404 and not a 403).
 * The execution role SageMaker assumes reads `datasets/` and the training outputs, and writes
 * under `models/training/` and `models/compilation/` only.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { edgeFunction } from './compute.js';
import { jobNamePrefix } from './config.js';
import type { ModelBucket } from './storage.js';

/** Props of {@link Jobs}. */
export interface JobsProps {
  /** The stack's prefix; job names must start with `<prefix>-`. */
  readonly prefix: string;
  /** The bucket holding datasets and job outputs. */
  readonly bucket: ModelBucket;
}

/** The three job functions and the role SageMaker runs the jobs as. */
export class Jobs extends Construct {
  /** The execution role passed to SageMaker. */
  readonly sagemakerRole: iam.Role;
  /** `POST /jobs/training`. */
  readonly createTrainingJob: nodejs.NodejsFunction;
  /** `POST /jobs/compilation`. */
  readonly createCompilationJob: nodejs.NodejsFunction;
  /** `GET /jobs/{kind}/{jobName}`. */
  readonly jobStatus: nodejs.NodejsFunction;
  /** Every job name the functions may create starts with this (`<prefix>-`). */
  readonly jobPrefix: string;

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    const bucket = props.bucket.bucket;
    const stack = Stack.of(this);
    const namePrefix = jobNamePrefix(props.prefix);
    this.jobPrefix = namePrefix;
    const jobArn = (resource: 'training-job' | 'compilation-job') =>
      stack.formatArn({ service: 'sagemaker', resource, resourceName: `${namePrefix}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });

    this.sagemakerRole = new iam.Role(this, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'edge-cv-stack: the role SageMaker training and compilation jobs run as',
    });
    this.sagemakerRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('datasets/*'), bucket.arnForObjects('models/training/*')] }));
    this.sagemakerRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('models/training/*'), bucket.arnForObjects('models/compilation/*')] }));
    this.sagemakerRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    // The job containers' own logs and metrics, as SageMaker's documentation lists them.
    this.sagemakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    this.sagemakerRole.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } } }));
    // Pulling the training image: the token call has no resource; the image reads are per repository.
    this.sagemakerRole.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    this.sagemakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resources: [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      }),
    );

    const environment = { BUCKET_NAME: bucket.bucketName, JOB_NAME_PREFIX: namePrefix };
    const common = { memorySize: 512, timeout: Duration.seconds(29) };
    this.createTrainingJob = edgeFunction(this, 'createTrainingJob', { ...common, environment: { ...environment, SAGEMAKER_ROLE_ARN: this.sagemakerRole.roleArn } });
    this.createCompilationJob = edgeFunction(this, 'createCompilationJob', { ...common, environment: { ...environment, SAGEMAKER_ROLE_ARN: this.sagemakerRole.roleArn } });
    this.jobStatus = edgeFunction(this, 'jobStatus', { ...common, environment });

    const passRole = new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.sagemakerRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
    this.createTrainingJob.addToRolePolicy(passRole);
    this.createCompilationJob.addToRolePolicy(passRole);
    this.createTrainingJob.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob'], resources: [jobArn('training-job')] }));
    this.createCompilationJob.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:CreateCompilationJob', 'sagemaker:DescribeCompilationJob'], resources: [jobArn('compilation-job')] }));
    this.jobStatus.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeTrainingJob'], resources: [jobArn('training-job')] }));
    this.jobStatus.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeCompilationJob'], resources: [jobArn('compilation-job')] }));
    // List calls take no resource in IAM; the handler keeps only jobs under its compilation's folder.
    this.jobStatus.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListCompilationJobs'], resources: ['*'] }));

    const reads: Array<[nodejs.NodejsFunction, string[]]> = [
      [this.createTrainingJob, ['models/training/*']],
      [this.createCompilationJob, ['models/compilation/*']],
      // Jobs made before the migration report keys under datasets/.
      [this.jobStatus, ['models/*', 'datasets/*']],
    ];
    for (const [fn, prefixes] of reads) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: prefixes.map((p) => bucket.arnForObjects(p)) }));
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
  }

  /** The three functions, for wiring and acknowledgements. */
  get functions(): nodejs.NodejsFunction[] {
    return [this.createTrainingJob, this.createCompilationJob, this.jobStatus];
  }
}
