// Docs as tests: every TypeScript and JavaScript block in README.md and docs/*.md is written out
// as its own module and type-checked strictly against the library's source (`storage-safe-archive`
// and `storage-safe-archive/s3` resolve to src/), so a snippet that no longer compiles, or uses a
// name it never imports or defines, fails here. A snippet pasted alone must stand alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTarGz, buildZip } from '../extract/support/build-archives.js';

const repo = resolve(import.meta.dirname, '../..');
const out = join(repo, '.snippets');

interface Snippet {
  /** Where it is, for the failure message: docs/storage.md:42. */
  where: string;
  /** The module file it is written to. */
  file: string;
  code: string;
}

/** The code blocks of `markdown` whose language is ts, typescript, js, javascript or mjs. */
export function codeBlocks(markdown: string): { line: number; language: string; code: string }[] {
  const blocks: { line: number; language: string; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // Blocks inside list items are indented; the indent is taken off their code.
    const open = /^(\s*)```(ts|typescript|js|javascript|mjs)\s*$/.exec(lines[i] as string);
    if (open === null) continue;
    const indent = (open[1] as string).length;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).trim().startsWith('```')) end++;
    blocks.push({ line: start, language: open[2] as string, code: lines.slice(start, end).map((line) => line.slice(indent)).join('\n') });
    i = end;
  }
  return blocks;
}

function collect(): Snippet[] {
  const documents = ['README.md', ...readdirSync(join(repo, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
  const snippets: Snippet[] = [];
  for (const document of documents) {
    for (const block of codeBlocks(readFileSync(join(repo, document), 'utf8'))) {
      const base = `${document.replace(/[/.]/g, '_')}_${block.line}`;
      const extension = block.language.startsWith('j') || block.language === 'mjs' ? 'mjs' : 'ts';
      // `export {}` makes each a module: its own scope, top-level await allowed.
      snippets.push({ where: `${document}:${block.line}`, file: `${base}.${extension}`, code: `${block.code}\nexport {};\n` });
    }
  }
  return snippets;
}

let snippets: Snippet[];
let diagnostics: string;

beforeAll(() => {
  snippets = collect();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const snippet of snippets) writeFileSync(join(out, snippet.file), snippet.code);
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowJs: true,
        checkJs: true,
        types: ['node'],
        typeRoots: [join(repo, 'node_modules/@types')],
        baseUrl: repo,
        paths: { 'storage-safe-archive': ['src/index.ts'], 'storage-safe-archive/s3': ['src/s3/index.ts'] },
      },
      include: ['./*.ts', './*.mjs'],
      exclude: ['./run-*'],
    }),
  );
  try {
    execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', out], { encoding: 'utf8', cwd: repo });
    diagnostics = '';
  } catch (error) {
    diagnostics = (error as { stdout?: string }).stdout ?? String(error);
  }
}, 120_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('code in README.md and docs/', () => {
  it('finds the snippets (a broken extractor would check nothing and pass)', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(20);
    expect(snippets.some((snippet) => snippet.where.startsWith('README.md'))).toBe(true);
  });

  it('the self-contained ones run: no AWS, in a folder with a small model.tar.gz and model.zip, /tmp mapped into it', async () => {
    const runnable = snippets.filter((snippet) => !/@aws-sdk|storage-safe-archive\/s3/.test(snippet.code));
    expect(runnable.length).toBeGreaterThanOrEqual(8);
    const model = [
      { name: 'model/compiled.params.0', body: Buffer.alloc(64 * 1024, 1) },
      { name: 'model/config.json', body: '{"input": [1, 3, 224, 224]}' },
      { name: 'model/labels/classes.json', body: '["person", "car"]' },
    ];
    const [tarGz, zip] = await Promise.all([buildTarGz(model), buildZip(model)]);
    const failures: string[] = [];
    for (const snippet of runnable) {
      const cwd = join(out, `run-${snippet.file.replace(/\.\w+$/, '')}`);
      mkdirSync(join(cwd, 'tmp'), { recursive: true });
      writeFileSync(join(cwd, 'model.tar.gz'), tarGz);
      writeFileSync(join(cwd, 'model.zip'), zip);
      // Snippets write under /tmp as a Lambda would; here that is the snippet's own folder.
      const file = join(out, `run-${snippet.file}`);
      writeFileSync(file, snippet.code.replace(/(['`])\/tmp(?=[/'`])/g, `$1${join(cwd, 'tmp')}`));
      try {
        execFileSync(process.execPath, ['--import', 'tsx', file], { cwd, encoding: 'utf8', env: { ...process.env, TSX_TSCONFIG_PATH: join(out, 'tsconfig.json') }, timeout: 60_000 });
      } catch (error) {
        const failure = error as { stderr?: string; message: string };
        failures.push(`${snippet.where}: ${(failure.stderr ?? failure.message).split('\n').filter(Boolean).slice(0, 6).join('\n  ')}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('every snippet type-checks on its own, strictly, against the library', () => {
    const failures = snippets
      .map((snippet) => ({ where: snippet.where, errors: diagnostics.split('\n').filter((line) => line.includes(snippet.file)) }))
      .filter((failure) => failure.errors.length > 0)
      .map((failure) => `${failure.where}\n  ${failure.errors.join('\n  ')}`);
    expect(failures).toEqual([]);
    // Anything tsc reported about a file that is not a snippet is a broken setup, not a pass.
    expect(diagnostics.split('\n').filter((line) => /error TS/.test(line) && !snippets.some((snippet) => line.includes(snippet.file)))).toEqual([]);
  });
});
