// POST /ingest -> producer, POST /predict -> consumer, Lambda proxy
// integration, CORS for all origins; issue 8: request throttling.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_THROTTLING } from '../../infra/api.js';
import { functionLogicalId, onlyResource, synthEdgeCvStack, type SynthesizedStack } from './support/synth.js';

let synth: SynthesizedStack;
let template: Template;

beforeAll(() => {
  synth = synthEdgeCvStack();
  template = synth.template;
});
afterAll(() => synth.dispose());

function resourceId(pathPart: string): string {
  return onlyResource(template, 'AWS::ApiGateway::Resource', (p) => p['PathPart'] === pathPart).logicalId;
}

describe('REST API', () => {
  it('is one regional REST API with exactly the ingest, predict and jobs resources', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    const parts = Object.values(template.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart);
    expect(parts.sort()).toEqual(['compilation', 'ingest', 'jobs', 'predict', 'training', '{jobName}', '{jobName}']);
  });

  for (const [pathPart, service] of [
    ['ingest', 'producer'],
    ['predict', 'consumer'],
  ] as const) {
    it(`POST /${pathPart} invokes the ${service} through a Lambda proxy integration`, () => {
      const fnId = functionLogicalId(template, service);
      const { resource } = onlyResource(
        template,
        'AWS::ApiGateway::Method',
        (p) => p['HttpMethod'] === 'POST' && p['ResourceId']?.Ref === resourceId(pathPart),
      );
      expect(resource.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify(resource.Properties.Integration.Uri)).toContain(fnId);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        SourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([`/POST/${pathPart}`])]) }),
      });
    });

    it(`answers CORS preflight on /${pathPart} for every origin`, () => {
      const { resource } = onlyResource(
        template,
        'AWS::ApiGateway::Method',
        (p) => p['HttpMethod'] === 'OPTIONS' && p['ResourceId']?.Ref === resourceId(pathPart),
      );
      expect(resource.Properties.Integration.Type).toBe('MOCK');
      const headers = resource.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe("'*'");
      expect(headers['method.response.header.Access-Control-Allow-Methods']).toContain('POST');
    });
  }

  it('has no other methods than POST, the job status GETs and the CORS preflights', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties.HttpMethod);
    expect(methods.filter((m) => m === 'POST')).toHaveLength(4);
    expect(methods.filter((m) => m === 'GET')).toHaveLength(2);
    expect(methods.every((m) => m === 'POST' || m === 'GET' || m === 'OPTIONS')).toBe(true);
  });

  for (const [kind, service] of [
    ['training', 'create-training-job'],
    ['compilation', 'create-compilation-job'],
  ] as const) {
    it(`POST /jobs/${kind} invokes ${service} and GET /jobs/${kind}/{jobName} invokes job-status`, () => {
      const kindId = onlyResource(template, 'AWS::ApiGateway::Resource', (p) => p['PathPart'] === kind).logicalId;
      const nameId = onlyResource(template, 'AWS::ApiGateway::Resource', (p) => p['PathPart'] === '{jobName}' && p['ParentId']?.Ref === kindId).logicalId;
      const post = onlyResource(template, 'AWS::ApiGateway::Method', (p) => p['HttpMethod'] === 'POST' && p['ResourceId']?.Ref === kindId);
      expect(JSON.stringify(post.resource.Properties.Integration.Uri)).toContain(functionLogicalId(template, service));
      const get = onlyResource(template, 'AWS::ApiGateway::Method', (p) => p['HttpMethod'] === 'GET' && p['ResourceId']?.Ref === nameId);
      expect(get.resource.Properties.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(get.resource.Properties.Integration.Uri)).toContain(functionLogicalId(template, 'job-status'));
    });
  }
});

describe('stage', () => {
  it('throttles every method', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'poc',
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: API_THROTTLING.rateLimit,
          ThrottlingBurstLimit: API_THROTTLING.burstLimit,
        }),
      ]),
    });
    expect(API_THROTTLING.rateLimit).toBeGreaterThan(0);
  });

  it('writes access logs and error execution logs, with metrics on', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([Match.objectLike({ LoggingLevel: 'ERROR', MetricsEnabled: true, DataTraceEnabled: false })]),
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });
});
