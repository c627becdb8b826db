// `npm run local` as a user runs it: a separate process, stopped with Ctrl-C (SIGINT).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('../../', import.meta.url));

describe('scripts/local.ts', () => {
  it('prints its URL, serves requests, and stops everything within 10 s of SIGINT', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', PREFIX: 'script-test' };
    delete env.EFS_MOUNT_PATH;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts'], {
      cwd: exampleDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s; stdout: ${stdout}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code} before printing a URL; stderr: ${stderr}`)));
      });
      const reply = await fetch(`${url}/predict`, { method: 'POST', body: JSON.stringify({ fileId: 'f'.repeat(32) }) });
      expect(reply.status).toBe(404);
      const started = Date.now();
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = await exited;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(code).toBe(0);
      await expect(fetch(`${url}/predict`, { method: 'POST', body: '{}' })).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
