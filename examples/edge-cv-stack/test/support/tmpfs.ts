// A real size-limited tmpfs for disk-full tests (the same approach as the library's own test
// support). Where mounting is refused (not root), the test skips and prints why.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  path: string;
  unmount(): void;
}

export function mountTmpfs(sizeBytes: number): Tmpfs | { skipReason: string } {
  const path = mkdtempSync(join(tmpdir(), 'edge-cv-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    return { skipReason: `cannot mount a tmpfs (${detail}); run as root to include disk-full cases` };
  }
  return {
    path,
    unmount() {
      try {
        execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
  };
}
