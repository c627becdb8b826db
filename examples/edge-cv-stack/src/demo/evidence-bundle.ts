// Writes the evidence bundle: evidence/<timestamp>/summary.json, summary.md (tables ready for
// the paper) and the gathered configuration, logs and listings, one file each.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvidenceFile } from './demo-target.js';
import type { DemoSummary, PredictCall } from './run-demo.js';

const cell = (value: unknown) => (value === null || value === undefined ? '–' : String(value));

function callRow(label: string, call: PredictCall): string {
  return `| ${label} | ${call.status} | ${call.latencyMs} | ${cell(call.handlerMs)} | ${cell(call.initMs)} | ${cell(call.coldStart)} |`;
}

/** The summary as Markdown. */
export function summaryMarkdown(summary: DemoSummary, files: EvidenceFile[]): string {
  const { verification: v, coldWarm, parallel } = summary;
  const lines = [
    `# Lambda + EFS producer/consumer: demonstration evidence`,
    '',
    `- Mode: **${summary.mode}**, endpoint \`${summary.endpoint}\`, started ${summary.startedAt}`,
    `- Sample: \`models/${summary.sample.key}\`, ${summary.sample.bytes} bytes of float32 weights, SHA-256 \`${summary.sample.sha256}\``,
    `- Result: **${summary.passed ? 'all checks passed' : 'SOME CHECKS FAILED'}**`,
    '',
    '## Producer writes, consumer reads',
    '',
    '| Check | Value |',
    '| --- | --- |',
    `| POST /ingest | ${summary.ingest.first.status}, ${summary.ingest.first.latencyMs} ms, fileId \`${summary.ingest.first.fileId}\` |`,
    `| Same ingest again | ${summary.ingest.repeat.status}, same fileId: ${summary.ingest.repeat.fileId === summary.ingest.first.fileId} |`,
    `| SHA-256 sent | \`${v.sentSha256}\` |`,
    `| SHA-256 written by the producer | \`${v.producerSha256}\` |`,
    `| SHA-256 read by the consumer | \`${v.consumerSha256}\` |`,
    `| Sizes match | ${v.bytesMatch} |`,
    `| Result on EFS | \`${v.resultPath}\` |`,
    `| Result in S3 | ${v.s3Key ? `\`${v.s3Key}\`` : '–'} |`,
    '',
    '## Cold vs warm /predict',
    '',
    `Cold start forced by: ${coldWarm.howCold}.`,
    '',
    '| Call | Status | Client latency (ms) | Handler durationMs | Init (ms, local only) | coldStart |',
    '| --- | --- | --- | --- | --- | --- |',
    callRow('cold', coldWarm.cold),
    ...coldWarm.warm.map((call, i) => callRow(`warm ${i + 1}`, call)),
    '',
    `Warm client latency: median ${coldWarm.warmLatency.median} ms, p95 ${coldWarm.warmLatency.p95} ms; cold: ${coldWarm.cold.latencyMs} ms` +
      ` (${(coldWarm.cold.latencyMs / Math.max(coldWarm.warmLatency.median, 0.1)).toFixed(1)}x the warm median).`,
    '',
    `## ${parallel.calls} concurrent /predict on one model`,
    '',
    '| Calls | Succeeded | Same checksum | Wall time (ms) | Latency min / median / p95 / max (ms) |',
    '| --- | --- | --- | --- | --- |',
    `| ${parallel.calls} | ${parallel.succeeded} | ${parallel.allSameChecksum} | ${parallel.wallMs} | ${parallel.latency.min} / ${parallel.latency.median} / ${parallel.latency.p95} / ${parallel.latency.max} |`,
    '',
    ...fleetMarkdown(summary),
    '## Files in this bundle',
    '',
    '- `summary.json`: every figure above, machine-readable',
    ...files.map((file) => `- \`${file.name}\`: ${file.description}`),
    '',
  ];
  return lines.join('\n');
}

/** Writes the bundle under `root/<timestamp>/` and returns that directory. */
export async function writeEvidenceBundle(root: string, summary: DemoSummary, files: EvidenceFile[]): Promise<string> {
  await mkdir(root, { recursive: true });
  // The bundle is output, not source: keep it out of git without touching the repository's files.
  await writeFile(join(root, '.gitignore'), '*\n', { flag: 'w' });
  const dir = join(root, summary.startedAt.replace(/[:.]/g, '-'));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(dir, 'summary.md'), summaryMarkdown(summary, files));
  for (const file of files) {
    await writeFile(join(dir, file.name), typeof file.content === 'string' ? file.content : `${JSON.stringify(file.content, null, 2)}\n`);
  }
  return dir;
}

/** The fleet section (local mode): the jobs, then the packaging run with each target's digest. */
function fleetMarkdown(summary: DemoSummary): string[] {
  const fleet = summary.fleet;
  if (fleet === undefined) return [];
  const jobs =
    'skipped' in fleet.jobs
      ? [`Jobs: ${fleet.jobs.skipped}.`]
      : [
          `Training job: HTTP ${fleet.jobs.training.status}, model at \`${fleet.jobs.training.modelUri ?? '?'}\`.`,
          `Compilation jobs: HTTP ${fleet.jobs.compilation.status}, ${fleet.jobs.compilation.targets.map((t) => `\`${t.outputUri ?? t.target}\``).join(', ')}.`,
        ];
  return [
    '## The fleet: jobs and packaging through the state machine',
    '',
    ...jobs,
    '',
    `Packaging: ${fleet.packaging.status}, ${fleet.packaging.targets.length} targets, at most ${fleet.packaging.peakConcurrency} at once, ${fleet.packaging.seconds} s.`,
    '',
    '| Target | Status | Key | Bytes | SHA-256 | Written |',
    '| --- | --- | --- | --- | --- | --- |',
    ...fleet.packaging.targets.map((t) => `| ${t.target} | ${t.status} | \`${t.key ?? ''}\` | ${t.bytes ?? ''} | \`${t.sha256 ?? ''}\` | ${t.written ?? ''} |`),
    '',
  ];
}
