#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run this file with tsx (see cdk.json).
 * cdk-nag's AWS Solutions pack runs on every synth, so an unacknowledged finding fails it.
 *
 * `-c skipBundling=true` synthesizes without running esbuild (a template check in seconds);
 * the CLI refuses `aws:`-prefixed context on the command line, so the app sets it itself.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readStackSettings } from '../infra/config.js';
import { EdgeCvStack } from '../infra/edge-cv-stack.js';

const app = new App();
const skipBundling: unknown = app.node.tryGetContext('skipBundling');
if (skipBundling === true || skipBundling === 'true') {
  app.node.setContext('aws:cdk:bundling-stacks', []);
}
new EdgeCvStack(app, 'EdgeCvStack', {
  settings: readStackSettings(app.node),
  description:
    'storage-safe-archive example: Lambda + EFS producer/consumer, model packaging, S3 layout migration',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
