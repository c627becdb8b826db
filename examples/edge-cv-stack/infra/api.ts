/**
 * The REST API: `POST /ingest` → producer and `POST /predict` →
 * consumer, both Lambda proxy integrations, CORS open to every origin (browser-based testing of
 * the POC), throttled at the stage so a runaway client cannot run up the bill, and access-logged.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Stage-wide request throttling (requests per second, and burst). */
export const API_THROTTLING = { rateLimit: 20, burstLimit: 40 } as const;

/** Stage name; the URL is `https://<id>.execute-api.<region>.amazonaws.com/<stage>/`. */
export const API_STAGE = 'poc';

/** Props of {@link Api}. */
export interface ApiProps {
  /** Target of `POST /ingest`. */
  readonly producer: lambda.IFunction;
  /** Target of `POST /predict`. */
  readonly consumer: lambda.IFunction;
  /** The SageMaker job functions (issue 16): `POST /jobs/training`, `POST /jobs/compilation`, `GET /jobs/{training|compilation}/{jobName}`. */
  readonly jobs?: {
    readonly createTrainingJob: lambda.IFunction;
    readonly createCompilationJob: lambda.IFunction;
    readonly jobStatus: lambda.IFunction;
  };
}

/** The REST API and its stage. */
export class Api extends Construct {
  /** The API; `api.url` is the stage's invoke URL. */
  readonly restApi: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'edge-cv-stack: EFS producer/consumer POC (storage-safe-archive example)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Execution logging needs the account-level CloudWatch role; CDK creates it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: API_THROTTLING.rateLimit,
        throttlingBurstLimit: API_THROTTLING.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: apigateway.Cors.ALL_ORIGINS,
        allowMethods: props.jobs ? ['GET', 'POST', 'OPTIONS'] : ['POST', 'OPTIONS'],
        allowHeaders: ['Content-Type'],
      },
    });

    // Proxy integration: the handler's statusCode, headers and body go to the client unchanged.
    this.restApi.root
      .addResource('ingest')
      .addMethod('POST', new apigateway.LambdaIntegration(props.producer, { proxy: true }));
    this.restApi.root
      .addResource('predict')
      .addMethod('POST', new apigateway.LambdaIntegration(props.consumer, { proxy: true }));

    if (props.jobs) {
      // Static kinds rather than a {kind} variable: API Gateway matches a static segment first
      // and would never reach a variable sibling below it.
      const jobs = this.restApi.root.addResource('jobs');
      const status = new apigateway.LambdaIntegration(props.jobs.jobStatus, { proxy: true });
      const kinds = [
        ['training', props.jobs.createTrainingJob],
        ['compilation', props.jobs.createCompilationJob],
      ] as const;
      for (const [kind, create] of kinds) {
        const resource = jobs.addResource(kind);
        resource.addMethod('POST', new apigateway.LambdaIntegration(create, { proxy: true }));
        resource.addResource('{jobName}').addMethod('GET', status);
      }
    }
  }
}
