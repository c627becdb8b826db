// The demonstration: ingest, predict, verify checksums, cold vs warm,
// 10 concurrent predictions on one model. Talks only HTTP to the endpoint, so the same code runs
// against the local mode and a deployed API.
import { postJson, type TimedReply } from './api-client.js';
import type { DemoTarget } from './demo-target.js';
import { runFleet, type FleetSummary } from './run-fleet.js';
import { sampleModel } from './sample-model.js';
import { summarise, type LatencySummary } from './timing.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Base URL of the API. */
  endpoint: string;
  /** Local mode or AWS. */
  target: DemoTarget;
  /** Sample model size in bytes (default 1 MiB; API Gateway takes at most 10 MB of base64). */
  sampleBytes?: number;
  /** Warm /predict calls after the cold one (default 5). */
  warmCalls?: number;
  /** Concurrent /predict calls (default 10). */
  parallelCalls?: number;
  /** Progress lines go here (default: stderr). */
  log?: (line: string) => void;
}

/** One /predict call as recorded in the evidence. */
export interface PredictCall {
  /** HTTP status. */
  status: number;
  /** Client-side round trip, ms. */
  latencyMs: number;
  /** The handler's own `durationMs`. */
  handlerMs: number | null;
  /** The handler's `coldStart` flag. */
  coldStart: boolean | null;
  /** Module load and init time reported by the local mode (`X-Local-Init-Ms`); null on AWS. */
  initMs: number | null;
  /** SHA-256 the consumer computed over the model. */
  sha256: string | null;
}

/** Everything the demo measured. */
export interface DemoSummary {
  /** `local` or `aws`. */
  mode: 'local' | 'aws';
  /** The API base URL. */
  endpoint: string;
  /** When the demo started, ISO 8601. */
  startedAt: string;
  /** The sample sent to /ingest. */
  sample: { key: string; bytes: number; sha256: string };
  /** The two /ingest calls (the second must be 200 with the same fileId). */
  ingest: { first: { status: number; latencyMs: number; fileId: string; sha256: string }; repeat: { status: number; latencyMs: number; fileId: string } };
  /** The checks that the consumer read what the producer wrote. */
  verification: { producerSha256: string; consumerSha256: string; sentSha256: string; bytesMatch: boolean; passed: boolean; resultPath: string; s3Key: string | null };
  /** Cold vs warm /predict. */
  coldWarm: { howCold: string; cold: PredictCall; warm: PredictCall[]; warmLatency: LatencySummary; warmHandler: LatencySummary | null };
  /** Concurrent /predict on one model. */
  parallel: { calls: number; succeeded: number; allSameChecksum: boolean; wallMs: number; latency: LatencySummary; results: PredictCall[] };
  /** Local mode: SageMaker jobs through the API and one model packaged for three targets through the state machine. */
  fleet?: FleetSummary;
  /** True when every check passed. */
  passed: boolean;
}

interface PredictBody {
  durationMs?: number;
  coldStart?: boolean;
  efsPath?: string;
  s3Key?: string;
  result?: { input?: { sha256?: string; bytes?: number }; model?: { sha256?: string } };
}

function record(reply: TimedReply<PredictBody>): PredictCall {
  return {
    status: reply.status,
    latencyMs: Math.round(reply.latencyMs * 10) / 10,
    handlerMs: reply.body.durationMs ?? null,
    coldStart: reply.body.coldStart ?? null,
    initMs: reply.headers['x-local-init-ms'] === undefined ? null : Number(reply.headers['x-local-init-ms']),
    sha256: reply.body.result?.model?.sha256 ?? null,
  };
}

function expectStatus(reply: TimedReply<unknown>, allowed: number[], what: string): void {
  if (!allowed.includes(reply.status)) throw new Error(`${what} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
}

/** Runs the demonstration and returns what it measured (the caller writes the bundle). */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = new Date().toISOString();
  const sample = sampleModel(options.sampleBytes ?? 1024 * 1024);
  const key = `demo/sample-${startedAt.replace(/[:.]/g, '-')}.bin`;

  log(`ingest ${sample.data.length} bytes as models/${key}`);
  const first = await postJson<{ fileId: string; sha256: string }>(options.endpoint, '/ingest', { key, data: sample.data.toString('base64') });
  expectStatus(first, [200, 201], 'POST /ingest');
  const repeat = await postJson<{ fileId: string }>(options.endpoint, '/ingest', { key, data: sample.data.toString('base64') });
  expectStatus(repeat, [200], 'repeated POST /ingest');
  const fileId = first.body.fileId;

  log(`predict ${fileId} (forcing a cold start first)`);
  const howCold = await options.target.forceConsumerColdStart();
  const coldReply = await postJson<PredictBody>(options.endpoint, '/predict', { fileId });
  expectStatus(coldReply, [200], 'POST /predict');
  const warm: PredictCall[] = [];
  for (let i = 0; i < (options.warmCalls ?? 5); i++) {
    const reply = await postJson<PredictBody>(options.endpoint, '/predict', { fileId });
    expectStatus(reply, [200], 'warm POST /predict');
    warm.push(record(reply));
  }

  const calls = options.parallelCalls ?? 10;
  log(`${calls} concurrent predictions on the same model`);
  const wallStarted = performance.now();
  const replies = await Promise.all(Array.from({ length: calls }, () => postJson<PredictBody>(options.endpoint, '/predict', { fileId })));
  const wallMs = Math.round((performance.now() - wallStarted) * 10) / 10;
  const results = replies.map(record);
  const succeeded = results.filter((r) => r.status === 200).length;
  const allSameChecksum = results.every((r) => r.sha256 === sample.sha256);

  const consumerSha256 = coldReply.body.result?.input?.sha256 ?? '';
  const verification = {
    producerSha256: first.body.sha256,
    consumerSha256,
    sentSha256: sample.sha256,
    bytesMatch: coldReply.body.result?.input?.bytes === sample.data.length,
    passed: first.body.sha256 === sample.sha256 && consumerSha256 === sample.sha256 && coldReply.body.result?.input?.bytes === sample.data.length,
    resultPath: coldReply.body.efsPath ?? '',
    s3Key: coldReply.body.s3Key ?? null,
  };
  const handlerTimes = warm.map((w) => w.handlerMs).filter((v): v is number => v !== null);
  const summary: DemoSummary = {
    mode: options.target.kind,
    endpoint: options.endpoint,
    startedAt,
    sample: { key, bytes: sample.data.length, sha256: sample.sha256 },
    ingest: {
      first: { status: first.status, latencyMs: Math.round(first.latencyMs * 10) / 10, fileId, sha256: first.body.sha256 },
      repeat: { status: repeat.status, latencyMs: Math.round(repeat.latencyMs * 10) / 10, fileId: repeat.body.fileId },
    },
    verification,
    coldWarm: {
      howCold,
      cold: record(coldReply),
      warm,
      warmLatency: summarise(warm.map((w) => w.latencyMs)),
      warmHandler: handlerTimes.length > 0 ? summarise(handlerTimes) : null,
    },
    parallel: { calls, succeeded, allSameChecksum, wallMs, latency: summarise(results.map((r) => r.latencyMs)), results },
    passed: false,
  };
  if (options.target.kind === 'local') summary.fleet = await runFleet(options.endpoint, log);
  summary.passed =
    verification.passed && repeat.body.fileId === fileId && succeeded === calls && allSameChecksum && summary.coldWarm.cold.coldStart !== false && (summary.fleet?.passed ?? true);
  return summary;
}
