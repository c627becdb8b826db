// Readable text for the reports (the CLI prints these; `--json` prints the objects instead).
import { formatBytes } from '../../units.js';
import type { MigrationPlan, MigrationReport, ValidationReport } from './types.js';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/**
 * A plan as text: the counts first, then each move, conflict and orphan.
 *
 * @example
 * ```ts
 * console.log(formatPlan(await planMigration({ s3, bucket })));
 * ```
 */
export function formatPlan(plan: MigrationPlan): string {
  const c = plan.counts;
  const lines = [
    `bucket ${plan.bucket}${plan.prefix ? ` prefix ${plan.prefix}` : ''}: ${c.total} keys`,
    `to move: ${c.toMove}, in place: ${c.inPlace}, already copied: ${c.alreadyCopied}, conflicts: ${c.conflicts}, orphans: ${c.orphans}`,
  ];
  if (plan.moves.length > 0) lines.push('', table([['SOURCE', 'TARGET', 'SIZE'], ...plan.moves.map((m) => [m.source, m.target, formatBytes(m.size)])]));
  if (plan.conflicts.length > 0) {
    lines.push('', table([['CONFLICT', 'TARGET', 'SOURCES'], ...plan.conflicts.map((x) => [x.reason, x.target, x.sources.join(', ')])]));
  }
  if (plan.orphans.length > 0) lines.push('', 'ORPHANS (no rule matches; they stay where they are)', ...plan.orphans.map((o) => `  ${o}`));
  return lines.join('\n');
}

/**
 * A validation report as text: the verdict, then a table of problems and the orphans.
 *
 * @example
 * ```ts
 * console.log(formatValidation(await validateMigration({ s3, bucket })));
 * ```
 */
export function formatValidation(report: ValidationReport): string {
  const lines = [
    `${report.ok ? 'OK' : 'FAILED'}: migration ${report.id ?? '(none)'}, ${report.checkedObjects} copies and ${report.checkedReferences} references checked, ` +
      `${report.problems.length} problem(s), ${report.orphans.length} orphan(s)`,
  ];
  if (report.problems.length > 0) lines.push('', table([['PROBLEM', 'KEY', 'DETAIL'], ...report.problems.map((p) => [p.kind, p.key, p.detail])]));
  if (report.orphans.length > 0) lines.push('', 'ORPHANS (reported, not a failure)', ...report.orphans.map((o) => `  ${o}`));
  return lines.join('\n');
}

/**
 * A migrate report as text.
 *
 * @example
 * ```ts
 * console.log(formatMigrationReport(await runMigration({ s3, bucket })));
 * ```
 */
export function formatMigrationReport(report: MigrationReport): string {
  if (report.id === undefined && !report.dryRun) return `nothing to migrate (${report.plan.counts.inPlace} keys in place, ${report.plan.counts.alreadyCopied} already copied)`;
  const verb = report.dryRun ? 'would copy' : 'copied';
  return (
    `${report.dryRun ? '[dry run] ' : ''}migration ${report.id ?? '(new)'}${report.resumed ? ' (resumed)' : ''}: ${verb} ${report.copied} objects ` +
    `(${formatBytes(report.bytesCopied)}), ${report.alreadyPresent} already present, ` +
    `${report.references.length} reference(s) ${report.dryRun ? 'to update' : 'updated'}`
  );
}
