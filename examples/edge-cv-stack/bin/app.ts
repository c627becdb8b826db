#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run this file with tsx (see cdk.json).
 * cdk-nag's AWS Solutions pack runs on every synth, so an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readStackSettings } from '../infra/config.js';
import { EdgeCvStack } from '../infra/edge-cv-stack.js';

const app = new App();
new EdgeCvStack(app, 'EdgeCvStack', {
  settings: readStackSettings(app.node),
  description: 'storage-safe-archive example: Lambda + EFS producer/consumer, model packaging, S3 layout migration',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
