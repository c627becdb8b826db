/**
 * Builds the stack the way `cdk synth` does (same context as cdk.json), into a temporary
 * cloud-assembly directory, so each test file synthesizes once and asserts on the template.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readStackSettings } from '../../../infra/config.js';
import { EdgeCvStack } from '../../../infra/edge-cv-stack.js';

const CDK_JSON = new URL('../../../cdk.json', import.meta.url);

/** The `context` block of cdk.json: the feature flags and defaults `cdk synth` uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> };
  return parsed.context;
}

/** A synthesized stack, its template, and a way to remove the assembly directory. */
export interface SynthesizedStack {
  readonly app: App;
  readonly stack: EdgeCvStack;
  readonly template: Template;
  readonly outdir: string;
  dispose(): void;
}

/**
 * Synthesizes EdgeCvStack with cdk.json's context plus `context`. Bundling is skipped unless
 * `bundle` is set (only one test is about esbuild), and so is CDK's built-in CloudFormation
 * validation unless `cfnValidation` is set: it takes most of a synth (about 15 s of CPU), and
 * one test runs it.
 */
export function synthEdgeCvStack(
  options: { context?: Record<string, unknown>; bundle?: boolean; cfnValidation?: boolean } = {},
): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'edge-cv-cdk-'));
  const context: Record<string, unknown> = { ...cdkJsonContext(), prefix: 'test', ...options.context };
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ outdir, context, builtinCloudFormationValidation: options.cfnValidation ?? false });
  const stack = new EdgeCvStack(app, 'EdgeCvStack', { settings: readStackSettings(app.node) });
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** The one resource of `type` whose properties satisfy `predicate`; fails if not exactly one. */
export function onlyResource(
  template: Template,
  type: string,
  predicate: (props: Record<string, any>) => boolean = () => true,
): { logicalId: string; resource: Record<string, any> } {
  const matches = Object.entries(template.findResources(type)).filter(([, r]) =>
    predicate((r as { Properties?: Record<string, any> }).Properties ?? {}),
  );
  if (matches.length !== 1) {
    throw new Error(`expected exactly one ${type} matching, found ${matches.length}`);
  }
  const [logicalId, resource] = matches[0]!;
  return { logicalId, resource: resource as Record<string, any> };
}

/** Logical ID of the function whose POWERTOOLS_SERVICE_NAME is `service`. */
export function functionLogicalId(template: Template, service: string): string {
  return onlyResource(
    template,
    'AWS::Lambda::Function',
    (p) => p['Environment']?.['Variables']?.['POWERTOOLS_SERVICE_NAME'] === service,
  ).logicalId;
}
