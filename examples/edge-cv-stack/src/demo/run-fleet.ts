// The fleet part of the demo, local mode only: a training job and a compilation job created
// through the API (on moto's SageMaker), their status read back with new-layout paths, their
// outputs placed (no emulator trains a model), and the model packaged for three targets through
// the packaging state machine, in parallel, with every target's SHA-256 in the report.
import { postJson } from './api-client.js';

/** What the fleet part measured. */
export interface FleetSummary {
  /** The job routes' answers, or why they were left out (moto not installed). */
  jobs: { training: { status: number; modelUri: string | null }; compilation: { status: number; targets: Array<{ target: string; outputUri: string | null }> } } | { skipped: string };
  /** The state machine run. */
  packaging: { status: string; peakConcurrency: number; seconds: number; targets: Array<{ target: string; status: string; key: string | null; sha256: string | null; bytes: number | null; written: boolean | null }> };
  /** True when every target packaged, each with its own digest, at least two at once. */
  passed: boolean;
}

const TARGETS = ['jetson_xavier', 'ml_c5', 'rasp4b'];

async function getJson<T>(endpoint: string, route: string): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(route.replace(/^\//, ''), endpoint.endsWith('/') ? endpoint : `${endpoint}/`));
  return { status: response.status, body: (await response.json()) as T };
}

/**
 * Runs the fleet part against a local-mode endpoint.
 *
 * @example
 * const fleet = await runFleet('http://127.0.0.1:3000', console.error);
 */
export async function runFleet(endpoint: string, log: (line: string) => void): Promise<FleetSummary> {
  // Job names must start with the stack's prefix (the job functions may only create those); the
  // local mode's facts name the bucket, `<prefix>-ml-models-bucket`.
  const facts = await getJson<{ bucket?: { name?: string } }>(endpoint, '/_local/facts');
  const prefix = (facts.body.bucket?.name ?? 'edge-cv-ml-models-bucket').replace(/-ml-models-bucket$/, '');
  const trainingJob = `${prefix}-demo-unet`;
  const compilationJob = `${prefix}-demo-unet-neo`;
  let jobs: FleetSummary['jobs'];
  log('fleet: create a training job and a compilation job for three targets');
  const training = await postJson(endpoint, '/jobs/training', { jobName: trainingJob, trainingImage: 'local/unet:1', dataset: 'cats' });
  if (training.status === 404) {
    jobs = { skipped: 'the job routes are not there (moto is not installed); outputs are placed and packaged all the same' };
  } else {
    const compilation = await postJson(endpoint, '/jobs/compilation', { jobName: compilationJob, trainingJob, targets: TARGETS, framework: 'PYTORCH', dataInputConfig: { input0: [1, 3, 224, 224] } });
    const trainingView = await getJson<{ outputs?: { model?: { uri?: string } } }>(endpoint, `/jobs/training/${trainingJob}`);
    const compilationView = await getJson<{ targets?: Array<{ target: string; prefix?: string }> }>(endpoint, `/jobs/compilation/${compilationJob}`);
    jobs = {
      training: { status: training.status, modelUri: trainingView.body.outputs?.model?.uri ?? null },
      compilation: {
        status: compilation.status,
        targets: (compilationView.body.targets ?? []).map((t) => ({ target: t.target, outputUri: t.prefix ?? null })),
      },
    };
  }
  log('fleet: place the jobs\' outputs, then package the three targets through the state machine');
  await postJson(endpoint, '/_local/job-outputs', { trainingJob, compilationJob, targets: TARGETS });
  const started = performance.now();
  const run = await postJson<{ status: string; peakConcurrency?: number; report?: { targets: Array<{ target: string; status: string; key?: string; sha256?: string; bytes?: number; written?: boolean }> } }>(
    endpoint,
    '/_local/packaging',
    { trainingJob, compilationJob, targets: TARGETS, componentName: 'demo-unet', componentVersion: '1.0.0' },
  );
  const targets = (run.body.report?.targets ?? []).map((t) => ({ target: t.target, status: t.status, key: t.key ?? null, sha256: t.sha256 ?? null, bytes: t.bytes ?? null, written: t.written ?? null }));
  const packaging = { status: run.body.status, peakConcurrency: run.body.peakConcurrency ?? 0, seconds: Math.round(performance.now() - started) / 1000, targets };
  const digests = new Set(targets.map((t) => t.sha256).filter((d): d is string => d !== null && /^[0-9a-f]{64}$/.test(d)));
  // The jobs, when their routes are there, answered and reported new-layout paths.
  const jobsPassed =
    'skipped' in jobs ||
    (jobs.training.modelUri?.includes(`/models/training/${trainingJob}/`) === true &&
      jobs.compilation.targets.length === TARGETS.length &&
      jobs.compilation.targets.every((t) => t.outputUri?.includes(`/models/compilation/${compilationJob}/${t.target}/`) === true));
  const passed = jobsPassed && packaging.status === 'SUCCEEDED' && targets.length === TARGETS.length && targets.every((t) => t.status === 'SUCCEEDED') && digests.size === TARGETS.length && packaging.peakConcurrency >= 2;
  return { jobs, packaging, passed };
}
