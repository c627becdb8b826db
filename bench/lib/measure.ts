// Runs one measured step in a child process, so each case's peak RSS is its own (GNU time's
// maximum resident set size when available, else the child's own process.resourceUsage()).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What one measured run gave. */
export interface Measured {
  /** Wall-clock milliseconds of the whole child. */
  ms: number;
  /** Peak resident set size in bytes, when known. */
  peakRssBytes: number | undefined;
  /** What the child printed last as JSON (node cases report their own step timings). */
  report: Record<string, number> | undefined;
}

const GNU_TIME = '/usr/bin/time';

/** Runs `command args…` (through `sh -c` when `shell`), timing it and reading its peak RSS. */
export function measure(command: string, args: readonly string[], options: { shell?: boolean; cwd?: string } = {}): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const argv = options.shell ? ['sh', '-c', [command, ...args].join(' ')] : [command, ...args];
  const [file, ...rest] = useTime ? [GNU_TIME, '-f', 'MAXRSS_KIB=%M', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file!, rest, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
      const rss = /MAXRSS_KIB=(\d+)/.exec(stderr);
      const last = stdout.trim().split('\n').at(-1);
      let report: Record<string, number> | undefined;
      try {
        report = last?.startsWith('{') ? (JSON.parse(last) as Record<string, number>) : undefined;
      } catch {
        report = undefined;
      }
      const peak = rss ? Number(rss[1]) * 1024 : report?.maxRssBytes;
      resolve({ ms: report?.ms ?? ms, peakRssBytes: peak, report });
    });
  });
}
