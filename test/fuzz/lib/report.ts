// Writes what a campaign found: a summary (JSON and markdown) under .fuzz/, and each failure's
// minimal archive with its case and violations, ready to be promoted to a regression fixture.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extensionOf } from './fuzz-case.js';
import type { FoundFailure, RunResult } from './runner.js';

import type { V8FolderCoverage } from './v8-coverage.js';

/** A campaign's summary. */
export interface CampaignSummary {
  seed: number;
  startedAt: string;
  runs: RunResult[];
  coverage?: V8FolderCoverage[];
}

/** A file-name-safe slug of a failure signature. */
export function slugOf(signature: string): string {
  return signature
    .replace(/src\//g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
}

function percent(part: { covered: number; total: number }): string {
  return part.total === 0 ? 'n/a' : `${((100 * part.covered) / part.total).toFixed(1)}%`;
}

/** The markdown table of a summary. */
export function summaryMarkdown(summary: CampaignSummary): string {
  const lines = [
    `# Fuzz campaign, seed ${summary.seed}, started ${summary.startedAt}`,
    '',
    '| format | cases | seconds | cases/s | distinct failures | max RSS rise |',
    '|---|---:|---:|---:|---:|---:|',
    ...summary.runs.map((r) => `| ${r.format} | ${r.cases} | ${(r.elapsedMs / 1000).toFixed(0)} | ${(r.cases / Math.max(0.001, r.elapsedMs / 1000)).toFixed(1)} | ${r.failures.length} | ${(r.maxRssDeltaBytes / 2 ** 20).toFixed(0)} MiB |`),
    '',
  ];
  for (const r of summary.runs) {
    for (const f of r.failures) lines.push(`- **${r.format}** \`${f.signature}\` (${f.hits} hits): ${f.violations[0]?.message.split('\n')[0] ?? 'flaky'}`);
    for (const [signature, hits] of Object.entries(r.knownHits)) lines.push(`- **${r.format}** known \`${signature}\` (${hits} cases)`);
  }
  if (summary.coverage) {
    lines.push('', 'V8 block coverage (tsx output, not TypeScript lines):', '', '| folder | functions | blocks |', '|---|---:|---:|', ...summary.coverage.map((c) => `| ${c.folder} | ${percent(c.functions)} | ${percent(c.blocks)} |`));
  }
  lines.push('', '## Outcomes', '');
  for (const r of summary.runs) {
    lines.push(`### ${r.format}`, '', ...Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `- ${k}: ${v}`), '');
  }
  return lines.join('\n');
}

/** Saves a failure's minimal archive, case and violations under `folder`. */
export async function saveFailure(folder: string, failure: FoundFailure): Promise<string> {
  await mkdir(folder, { recursive: true });
  const base = join(folder, `${failure.format}-${slugOf(failure.signature)}`);
  await writeFile(`${base}.${extensionOf(failure.format)}`, failure.bytes);
  await writeFile(`${base}.json`, JSON.stringify({ signature: failure.signature, hits: failure.hits, violations: failure.violations, fuzzCase: failure.fuzzCase }, null, 2));
  return base;
}

/** Writes the summary as `.fuzz/summary-<seed>.json` and `.md`. */
export async function saveSummary(folder: string, summary: CampaignSummary): Promise<string> {
  await mkdir(folder, { recursive: true });
  const base = join(folder, `summary-${summary.seed}`);
  const plain = { ...summary, runs: summary.runs.map((r) => ({ ...r, failures: r.failures.map((f) => ({ signature: f.signature, hits: f.hits, violations: f.violations, fuzzCase: f.fuzzCase })) })) };
  await writeFile(`${base}.json`, JSON.stringify(plain, null, 2));
  await writeFile(`${base}.md`, summaryMarkdown(summary));
  return base;
}
