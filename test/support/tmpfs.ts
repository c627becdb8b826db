// A real size-limited tmpfs for disk-full tests. We run as root in CI; where mounting is
// refused (no root, no mount namespace), `mountTmpfs` returns a reason and the test skips,
// printing it, rather than faking a full disk.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A mounted tmpfs; `unmount()` removes it and its mount point. */
export interface Tmpfs {
  path: string;
  sizeBytes: number;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeBytes`, or returns `{ skipReason }` saying why it cannot. */
export function mountTmpfs(sizeBytes: number): Tmpfs | { skipReason: string } {
  const path = mkdtempSync(join(tmpdir(), 'ssa-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    return { skipReason: `cannot mount a ${sizeBytes}-byte tmpfs (${detail}); run the tests as root to include disk-full cases` };
  }
  return {
    path,
    sizeBytes,
    unmount() {
      try {
        execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
  };
}

/** True when `value` is a mounted tmpfs (narrows the union). */
export function isMounted(value: Tmpfs | { skipReason: string }): value is Tmpfs {
  return 'path' in value;
}
