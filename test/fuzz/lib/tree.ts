// Random trees for seed archives: unicode names, deep paths, empty files and folders, links
// that stay inside the tree, sizes from zero to a few hundred KiB. Each tree is valid: the
// extractor must accept it, so every failure on a mutation of it is the mutation's doing.
import { posix } from 'node:path';
import fc from 'fast-check';
import type { ContentSpec } from './prng.js';

/** One node of a seed tree, in the order it is written to the archive. */
export type TreeNode =
  | { type: 'directory'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; content: ContentSpec }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string };

/** A seed tree: nodes in archive order, parents before children. */
export interface Tree {
  nodes: TreeNode[];
}

// Characters legal in a segment everywhere we extract: no '/', '\\', NUL, or ':' (a drive letter).
const segment = fc
  .oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9_.-]{1,12}$/) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.constantFrom('é', 'ñandú', '模型', 'weights.bin', 'ünïcödé', '🙂', 'a b', '-dash', '.hidden') },
  )
  .map((s) => s.replace(/[/\\\0:]/g, '_'))
  .filter((s) => s !== '.' && s !== '..' && s.length > 0 && Buffer.byteLength(s) <= 100);

const content: fc.Arbitrary<ContentSpec> = fc.record({
  kind: fc.constantFrom('text', 'random', 'zeros', 'repeat'),
  // Mostly small, sometimes empty, now and then a few hundred KiB.
  length: fc.oneof({ weight: 6, arbitrary: fc.nat(2048) }, { weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(300 * 1024) }),
  seed: fc.nat(),
});

const rawNode = fc.record({
  dirs: fc.oneof({ weight: 5, arbitrary: fc.array(segment, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.array(segment, { minLength: 8, maxLength: 24 }) }),
  name: segment,
  kind: fc.constantFrom('file', 'file', 'file', 'directory', 'symlink', 'hardlink'),
  mode: fc.constantFrom(0o644, 0o755, 0o600, 0o444, 0o4755, 0o777),
  content,
  linkPick: fc.nat(),
});

/**
 * A random valid tree of up to `maxNodes` nodes.
 *
 * @example
 * ```ts
 * fc.sample(treeArbitrary(8), 1)[0]?.nodes.length;
 * ```
 */
export function treeArbitrary(maxNodes = 12): fc.Arbitrary<Tree> {
  return fc.array(rawNode, { maxLength: maxNodes }).map((raws) => {
    const nodes: TreeNode[] = [];
    const files: string[] = [];
    const dirs = new Set<string>();
    const taken = new Set<string>();
    const addDir = (path: string): boolean => {
      if (dirs.has(path)) return true;
      if (taken.has(path)) return false;
      const parent = posix.dirname(path);
      if (parent !== '.' && !addDir(parent)) return false;
      dirs.add(path);
      taken.add(path);
      nodes.push({ type: 'directory', path, mode: 0o755 });
      return true;
    };
    for (const raw of raws) {
      const parent = raw.dirs.join('/');
      if (parent !== '' && !addDir(parent)) continue;
      const path = parent === '' ? raw.name : `${parent}/${raw.name}`;
      if (taken.has(path) || Buffer.byteLength(path) > 1000) continue;
      if (raw.kind === 'directory') {
        addDir(path);
        continue;
      }
      if (raw.kind === 'file' || files.length === 0) {
        taken.add(path);
        files.push(path);
        nodes.push({ type: 'file', path, mode: raw.mode, content: raw.content });
        continue;
      }
      const target = files[raw.linkPick % files.length] ?? '';
      taken.add(path);
      if (raw.kind === 'hardlink') nodes.push({ type: 'hardlink', path, target });
      else nodes.push({ type: 'symlink', path, target: posix.relative(posix.dirname(path), target) });
    }
    return { nodes };
  });
}
