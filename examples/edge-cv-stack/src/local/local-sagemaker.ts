// SageMaker on loopback: moto's server (the Python package `moto`, which implements
// CreateTrainingJob, CreateCompilationJob, their Describe and List calls) started as a child
// process. No emulator trains or compiles a model: moto marks a job Completed at once and writes
// nothing to S3, so the local mode places the outputs itself (see docs/local.md).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The SageMaker emulator cannot start here; the message says why and what to install. */
export class SageMakerEmulatorUnavailableError extends Error {
  override readonly name = 'SageMakerEmulatorUnavailableError';
}

/** A running moto server. */
export interface LocalSageMaker {
  /** `http://127.0.0.1:<port>`; give it to the SDK as `AWS_ENDPOINT_URL_SAGEMAKER`. */
  endpoint: string;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s). */
  stop(): Promise<void>;
}

/** Options of {@link startLocalSageMaker}. */
export interface LocalSageMakerOptions {
  /** The Python interpreter that has moto. Default `MOTO_PYTHON` or `python3`. */
  python?: string;
  /** Milliseconds to wait for the server to answer. Default 30,000. */
  startTimeoutMs?: number;
}

const INSTALL_HINT =
  'moto\'s server needs the Python packages moto, flask, flask-cors and werkzeug ' +
  '(the machine image has them under pip; Debian 12 ships python3-flask, python3-flask-cors and python3-werkzeug but no python3-moto)';

/** Why moto cannot run with `python`, or undefined when it can. */
export function motoUnavailableReason(python = process.env.MOTO_PYTHON || 'python3'): string | undefined {
  const probe = spawnSync(python, ['-c', 'import moto, moto.server, flask, flask_cors; print(moto.__version__)'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return `cannot run ${python}: ${probe.error.message}. ${INSTALL_HINT}`;
  if (probe.status !== 0) return `${python} cannot import moto's server: ${probe.stderr.trim().split('\n').pop() ?? ''}. ${INSTALL_HINT}`;
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the kernel');
  return address.port;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new SageMakerEmulatorUnavailableError(`moto server exited with code ${child.exitCode}: ${output()}`);
    try {
      const reply = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (reply.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new SageMakerEmulatorUnavailableError(`moto server did not answer on ${endpoint} within ${timeoutMs} ms: ${output()}`);
}

/**
 * Starts moto's server on a free loopback port. Throws {@link SageMakerEmulatorUnavailableError}
 * when Python or moto is missing, naming what to install.
 *
 * @example
 * const sagemaker = await startLocalSageMaker();
 * process.env.AWS_ENDPOINT_URL_SAGEMAKER = sagemaker.endpoint;
 * // ... CreateTrainingJob through @aws-sdk/client-sagemaker ...
 * await sagemaker.stop();
 */
export async function startLocalSageMaker(options: LocalSageMakerOptions = {}): Promise<LocalSageMaker> {
  const python = options.python ?? (process.env.MOTO_PYTHON || 'python3');
  const reason = motoUnavailableReason(python);
  if (reason) throw new SageMakerEmulatorUnavailableError(reason);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its Step Functions parser would call back to MOTO_PORT; keep it on this server.
    env: { ...process.env, MOTO_PORT: String(port) },
  });
  let log = '';
  const keep = (chunk: Buffer) => void (log = (log + chunk.toString('utf8')).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 30_000, () => log.trim());
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}
