// A one-line progress bar on stderr: bytes, rate, time left. Redrawn at most every 100 ms, and
// only on a terminal; pipes and CI logs get nothing (use --json for a final summary).
import type { ProcessingState } from '../observe/progress.js';
import { formatBytes } from '../units.js';
import type { CliIo } from './io.js';

const REDRAW_MS = 100;

/** Formats milliseconds as `1m05s` or `12s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

/** Renders one progress line (exported for tests). */
export function renderProgressLine(state: ProcessingState, elapsedMs: number, width: number): string {
  const rate = elapsedMs > 0 ? (state.bytesProcessed * 1000) / elapsedMs : 0;
  const total = state.totalBytes;
  const fraction = total ? Math.min(1, state.bytesProcessed / total) : undefined;
  const left = state.estimatedRemaining === undefined ? '' : `, ${formatDuration(state.estimatedRemaining)} left`;
  const amount = total ? `${formatBytes(state.bytesProcessed)} / ${formatBytes(total)}` : formatBytes(state.bytesProcessed);
  const text = ` ${amount} at ${formatBytes(rate)}/s${left}, ${state.filesProcessed} entries`;
  const barWidth = Math.max(10, Math.min(40, width - text.length - 8));
  if (fraction === undefined) return `${state.currentPhase}${text}`.slice(0, width - 1);
  const filled = Math.round(fraction * barWidth);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%${text}`.slice(0, width - 1);
}

/** What the CLI does with a progress bar. */
export interface ProgressBar {
  /** Takes a progress report; redraws at most every 100 ms. */
  update(state: ProcessingState): void;
  /** The work succeeded: the last line is drawn at 100% (the total was an estimate, or the last report was skipped) and the line ended, so what is printed next starts on its own line. */
  finish(): void;
  /** The work failed: the line is erased, so the error is not printed after a half-drawn bar. */
  clear(): void;
}

/** A progress listener that draws on `io.stderr` when it is a terminal; otherwise a no-op. */
export function createProgressBar(io: CliIo, enabled: boolean): ProgressBar {
  if (!enabled || !io.stderr.isTTY) return { update() {}, finish() {}, clear() {} };
  const started = Date.now();
  let lastDraw = 0;
  let last: ProcessingState | undefined;
  let open = false;
  const draw = (state: ProcessingState, now: number) => {
    lastDraw = now;
    open = true;
    io.stderr.write(`\r\x1b[2K${renderProgressLine(state, now - started, io.stderr.columns ?? 80)}`);
  };
  return {
    update(state) {
      last = state;
      const now = Date.now();
      if (now - lastDraw < REDRAW_MS && state.currentPhase !== 'done') return;
      draw(state, now);
    },
    finish() {
      if (last === undefined || !open) return;
      const total = Math.max(last.bytesProcessed, last.totalBytes ?? 0);
      draw({ ...last, currentPhase: 'done', bytesProcessed: total, totalBytes: total, estimatedRemaining: 0 }, Date.now());
      io.stderr.write('\n');
      open = false;
    },
    clear() {
      if (open) io.stderr.write('\r\x1b[2K');
      open = false;
    },
  };
}
