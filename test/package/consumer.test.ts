// A new user's project, compiled against the packed tarball (what `npm install` would unpack),
// under `strict` with no `skipLibCheck`: the root entry must type-check with no AWS SDK installed,
// the `storage-safe-archive/s3` entry with it, each from ESM and from CommonJS. The project's
// node_modules holds the tarball's contents plus links to the dependencies it declares, so the
// check needs no registry. Runs on the dist/ that `pretest` builds.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const tsc = join(repo, 'node_modules/typescript/bin/tsc');
let root: string;

/** Links `name` from the repository's node_modules into the consumer's. */
async function linkPackage(project: string, name: string): Promise<void> {
  const target = join(project, 'node_modules', name);
  await mkdir(join(target, '..'), { recursive: true });
  await symlink(join(repo, 'node_modules', name), target, 'dir');
}

/** A consumer project with the library (from the tarball), its dependencies, @types/node and optionally the SDK. */
async function makeProject(name: string, options: { type: 'module' | 'commonjs'; sdk: boolean; source: string }): Promise<string> {
  const project = join(root, name);
  await mkdir(join(project, 'node_modules'), { recursive: true });
  execFileSync('tar', ['-xzf', join(root, 'package.tgz'), '-C', join(project, 'node_modules')]);
  execFileSync('mv', [join(project, 'node_modules/package'), join(project, 'node_modules/storage-safe-archive')]);
  const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dependency of [...Object.keys(manifest.dependencies), '@types/node']) await linkPackage(project, dependency);
  if (options.sdk) for (const sdk of ['@aws-sdk/client-s3', '@aws-sdk/client-dynamodb', '@aws-sdk/lib-storage', '@aws-sdk/lib-dynamodb']) await linkPackage(project, sdk);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name, private: true, type: options.type }));
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'] },
      files: ['consumer.ts'],
    }),
  );
  await writeFile(join(project, 'consumer.ts'), options.source);
  return project;
}

/** tsc's exit status and output for the project. */
function compile(project: string): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' }) };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

const rootSource = `
import { StreamingExtractor, StorageManager, repackage, S3PathBuilder, InsufficientStorageError } from 'storage-safe-archive';
const paths = new S3PathBuilder({ bucket: 'models' });
const key: string = paths.trainingOutput('job-1');
const storage: StorageManager = new StorageManager({ path: '/tmp' });
export async function run(): Promise<number> {
  try {
    const result = await repackage({ source: 'model.tar.gz', output: 'model.zip' });
    return result.entries + key.length + storage.path.length + (new StreamingExtractor() ? 1 : 0);
  } catch (error) {
    if (error instanceof InsufficientStorageError) return error.requiredBytes;
    throw error;
  }
}
`;

const s3Source = `
import { S3Client } from '@aws-sdk/client-s3';
import { s3UploadStream, planMigration } from 'storage-safe-archive/s3';
const upload = s3UploadStream({ client: new S3Client({}), bucket: 'models', key: 'a.zip' });
export const kinds: string[] = [typeof upload.write, typeof planMigration];
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssa-consumer-'));
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], { cwd: repo, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
  execFileSync('mv', [join(root, filename), join(root, 'package.tgz')]);
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a consumer project compiled strictly against the packed tarball', () => {
  it.each(['module', 'commonjs'] as const)('the root entry compiles without the AWS SDK installed (%s)', async (type) => {
    const project = await makeProject(`root-${type}`, { type, sdk: false, source: rootSource });
    const result = compile(project);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it.each(['module', 'commonjs'] as const)('the s3 entry compiles with the SDK installed (%s)', async (type) => {
    const project = await makeProject(`s3-${type}`, { type, sdk: true, source: s3Source });
    const result = compile(project);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('the s3 entry without the SDK fails to compile, naming the missing package (the check can fail)', async () => {
    const project = await makeProject('s3-no-sdk', { type: 'module', sdk: false, source: s3Source });
    const result = compile(project);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("'@aws-sdk/client-s3'");
  });
});
