// Coverage for a campaign, taken in-process through the inspector (V8 precise block coverage),
// so a long campaign can report what it reached without a test runner. The figures are V8's
// own units: functions and blocks of the code as loaded (tsx's output), not TypeScript lines;
// for line and branch figures of the sources, run the sample under vitest --coverage.
import { Session } from 'node:inspector/promises';

/** Coverage of one folder in V8's units. */
export interface V8FolderCoverage {
  folder: string;
  functions: { covered: number; total: number };
  blocks: { covered: number; total: number };
}

let session: Session | undefined;

/** Starts precise block coverage; call before the code under test is imported. */
export async function startV8Coverage(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
}

/** Coverage so far of scripts whose URL contains each folder; undefined if not started. */
export async function takeV8Coverage(folders: readonly string[]): Promise<V8FolderCoverage[] | undefined> {
  if (session === undefined) return undefined;
  const { result } = await session.post('Profiler.takePreciseCoverage');
  session.disconnect();
  session = undefined;
  return folders.map((folder) => {
    const totals: V8FolderCoverage = { folder, functions: { covered: 0, total: 0 }, blocks: { covered: 0, total: 0 } };
    for (const script of result.filter((s) => s.url.includes(`/${folder}`) && !s.url.includes('node_modules'))) {
      for (const fn of script.functions) {
        const [whole, ...blocks] = fn.ranges;
        if (whole === undefined) continue;
        totals.functions.total++;
        if (whole.count > 0) totals.functions.covered++;
        for (const block of blocks) {
          totals.blocks.total++;
          if (block.count > 0) totals.blocks.covered++;
        }
      }
    }
    return totals;
  });
}
