// The CDK app entry (bin/app.ts) as `cdk synth` runs it: a child process that gets the context
// through CDK_CONTEXT_JSON and writes the cloud assembly to CDK_OUTDIR. Proves the entry runs
// under tsx, `skipBundling` skips esbuild, and the cdk-nag plugin it registers passes.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from './support/synth.js';

const EXAMPLE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

let outdir: string;
let result: { stdout: string; stderr: string };

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'edge-cv-app-'));
  const tsx = join(EXAMPLE_DIR, '..', '..', 'node_modules', '.bin', 'tsx');
  result = await run(tsx, ['bin/app.ts'], {
    cwd: EXAMPLE_DIR,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), prefix: 'app-test', skipBundling: 'true' }),
      // CloudFormation validation has its own test (stack.test.ts); here it would only add time.
      CDK_VALIDATION: 'false',
    },
  });
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bin/app.ts', () => {
  it('synthesizes EdgeCvStack with the context it is given', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string }>;
    };
    expect(manifest.artifacts['EdgeCvStack']?.type).toBe('aws:cloudformation:stack');
    const template = readFileSync(join(outdir, 'EdgeCvStack.template.json'), 'utf8');
    expect(template).toContain('"app-test-ml-models-bucket"');
  });

  it('skips bundling with -c skipBundling=true (no esbuild output in the assembly)', () => {
    expect(result.stdout + result.stderr).not.toMatch(/Bundling asset/);
    const assets = JSON.parse(readFileSync(join(outdir, 'EdgeCvStack.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const zipAssets = Object.values(assets.files).filter((f) => f.source.packaging === 'zip');
    // Seven functions whose code is the unbundled placeholder (the project root), nothing staged.
    expect(zipAssets).toHaveLength(7);
    for (const asset of zipAssets) expect(asset.source.path).toBe(join(EXAMPLE_DIR, '..', '..'));
    expect(readdirSync(outdir).filter((name) => name.startsWith('asset.'))).toEqual([]);
  });

  it('passes the cdk-nag AWS Solutions plugin it registers (no finding in its output or report)', () => {
    expect(result.stderr).not.toMatch(/AwsSolutions-/);
    const reportPath = join(outdir, 'validation-report.json');
    if (existsSync(reportPath)) {
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { pluginReports: unknown[] };
      expect(report.pluginReports).toEqual([]);
    }
  });
});
