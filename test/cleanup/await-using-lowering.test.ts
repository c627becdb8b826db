// `await using` must work on Node 20, which has Symbol.asyncDispose but not the syntax: our
// users' TypeScript lowers it. This compiles a snippet with the TypeScript in this repository
// and the target/module of our tsconfig, then runs the output in a plain `node` process.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

it('TypeScript lowers `await using` for our tsconfig and Node runs it, SuppressedError included', async () => {
  const configPath = join(process.cwd(), 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, process.cwd());
  const source = `
    const log: string[] = [];
    class Ctx { constructor(readonly name: string, readonly fail = false) {}
      async [Symbol.asyncDispose]() { log.push('dispose ' + this.name); if (this.fail) throw new Error('cleanup ' + this.name); } }
    async function ok() { await using a = new Ctx('a'); await using b = new Ctx('b'); log.push('body'); }
    async function failing() { await using c = new Ctx('c', true); throw new Error('original'); }
    await ok();
    let caught: any;
    try { await failing(); } catch (e) { caught = e; }
    console.log(JSON.stringify({ log, name: caught.name, error: caught.error.message, suppressed: caught.suppressed.message }));
  `;
  const output = ts.transpileModule(source, { compilerOptions: { ...options, module: ts.ModuleKind.ESNext }, fileName: 'snippet.mts' });
  expect(options.target).toBe(ts.ScriptTarget.ES2022);
  expect(output.outputText).toContain('__addDisposableResource'); // really lowered, not passed through
  const dir = await mkdtemp(join(tmpdir(), 'ssa-lowering-'));
  try {
    const file = join(dir, 'snippet.mjs');
    await writeFile(file, output.outputText);
    const printed = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    expect(JSON.parse(printed)).toEqual({
      log: ['body', 'dispose b', 'dispose a', 'dispose c'],
      name: 'SuppressedError',
      error: 'cleanup c',
      suppressed: 'original',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
