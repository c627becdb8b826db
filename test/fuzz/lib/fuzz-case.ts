// One fuzz case as data: a seed (random tree, hostile archive or bomb), mutations at each
// layer (tar or zip structure, gzip structure, blind bytes), how the archive is handed over
// (path, stream, random-access reader), how entries() walks it, which limits apply, and how
// each operation is called.
// fast-check generates and shrinks this record; `materialize` turns it into bytes.
import fc from 'fast-check';
import { callVariantArbitrary, type CallVariant } from './call-variant.js';
import { BLIND_MUTATORS } from './mutators/blind.js';
import { GZIP_MUTATORS } from './mutators/gzip.js';
import { applyMutations, mutationsArbitrary, type Mutation } from './mutators/mutation.js';
import { TAR_MUTATORS } from './mutators/tar.js';
import { ZIP_MUTATORS } from './mutators/zip.js';
import { bomb, HOSTILE_TARS, hostileZips } from './seeds.js';
import { treeArbitrary, type Tree } from './tree.js';
import { gzipMembers, writeTar, writeZip, type WriteOptions } from './write-archives.js';

/** The formats a campaign fuzzes (`tgz` is tar.gz). */
export type FuzzFormat = 'tar' | 'tgz' | 'zip';

/** All of them, in campaign order. */
export const FUZZ_FORMATS: readonly FuzzFormat[] = ['tar', 'tgz', 'zip'];

/** Where a case's archive comes from. */
export type SeedSpec = { kind: 'tree'; tree: Tree; write: WriteOptions } | { kind: 'hostile'; index: number } | { kind: 'bomb'; mib: number };

/** How the archive is given to the operations. */
export type SourceKind = 'path' | 'stream' | 'random-access';

/** One case. */
export interface FuzzCase {
  format: FuzzFormat;
  seed: SeedSpec;
  /** Tar mutations (tar, tgz: applied before gzip) or zip mutations. */
  structural: Mutation[];
  /** Gzip mutations (tgz only). */
  gzip: Mutation[];
  /** Blind mutations of the final bytes. */
  blind: Mutation[];
  source: SourceKind;
  /** Drives entries(): which bodies to read, skip or leave. */
  walkSeed: number;
  /** Low limits (entries, ratio, depth) so the limit paths are reached by small inputs. */
  tightLimits: boolean;
  /** How the operations are called (options, cancellation); absent in cases saved before it existed. */
  calls?: CallVariant;
}

const writeOptions: fc.Arbitrary<WriteOptions> = fc.record({
  paxEverywhere: fc.boolean(),
  gzipMembers: fc.constantFrom(1, 1, 1, 2, 3),
  gzipLevel: fc.constantFrom(1, 6, 9),
  deflate: fc.boolean(),
  zip64: fc.boolean(),
});

function seedArbitrary(format: FuzzFormat): fc.Arbitrary<SeedSpec> {
  const hostileCount = format === 'zip' ? 7 : HOSTILE_TARS.length;
  const options: Array<fc.WeightedArbitrary<SeedSpec>> = [
    { weight: 16, arbitrary: fc.record({ kind: fc.constant('tree' as const), tree: treeArbitrary(), write: writeOptions }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('hostile' as const), index: fc.nat(hostileCount - 1) }) },
  ];
  if (format !== 'tar') options.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('bomb' as const), mib: fc.constantFrom(2, 48) }) });
  return fc.oneof(...options);
}

/**
 * Cases for one format.
 *
 * @example
 * ```ts
 * fc.sample(fuzzCaseArbitrary('zip'), 1);
 * ```
 */
export function fuzzCaseArbitrary(format: FuzzFormat): fc.Arbitrary<FuzzCase> {
  const structural = format === 'zip' ? ZIP_MUTATORS : TAR_MUTATORS;
  return fc.record({
    format: fc.constant(format),
    seed: seedArbitrary(format),
    structural: mutationsArbitrary(structural, 0, 3),
    gzip: format === 'tgz' ? mutationsArbitrary(GZIP_MUTATORS, 0, 2) : fc.constant([]),
    blind: mutationsArbitrary(BLIND_MUTATORS, 0, 2),
    // A zip given as a stream is refused at once (its directory is at the end): keep those rare.
    source: fc.oneof(
      { weight: 4, arbitrary: fc.constant<SourceKind>('path') },
      { weight: format === 'zip' ? 1 : 2, arbitrary: fc.constant<SourceKind>('stream') },
      { weight: 2, arbitrary: fc.constant<SourceKind>('random-access') },
    ),
    walkSeed: fc.nat(),
    tightLimits: fc.boolean(),
    calls: callVariantArbitrary(),
  });
}

/** True for a case with no mutation of a random tree: it must succeed. */
export function isPristine(fuzzCase: FuzzCase): boolean {
  return fuzzCase.seed.kind === 'tree' && fuzzCase.structural.length + fuzzCase.gzip.length + fuzzCase.blind.length === 0;
}

let zipSeeds: Promise<Array<{ name: string; bytes: Buffer }>> | undefined;

async function seedBytes(format: FuzzFormat, seed: SeedSpec): Promise<Buffer> {
  if (seed.kind === 'bomb') return bomb(format === 'zip' ? 'zip' : 'tgz', seed.mib);
  if (format === 'zip') {
    if (seed.kind === 'tree') return writeZip(seed.tree, seed.write);
    zipSeeds ??= hostileZips();
    const list = await zipSeeds;
    return (list[seed.index % list.length] as { bytes: Buffer }).bytes;
  }
  if (seed.kind === 'tree') return writeTar(seed.tree, seed.write);
  return (HOSTILE_TARS[seed.index % HOSTILE_TARS.length] as { bytes: Buffer }).bytes;
}

/** The archive bytes a case describes (deterministic). */
export async function materialize(fuzzCase: FuzzCase): Promise<Buffer> {
  const { format, seed } = fuzzCase;
  let bytes = await seedBytes(format, seed);
  if (format === 'zip') {
    bytes = applyMutations(bytes, fuzzCase.structural, ZIP_MUTATORS);
  } else if (seed.kind === 'bomb') {
    bytes = applyMutations(bytes, fuzzCase.gzip, GZIP_MUTATORS);
  } else {
    bytes = applyMutations(bytes, fuzzCase.structural, TAR_MUTATORS);
    if (format === 'tgz') {
      const write = seed.kind === 'tree' ? seed.write : {};
      bytes = applyMutations(gzipMembers(bytes, write.gzipMembers ?? 1, write.gzipLevel ?? 6), fuzzCase.gzip, GZIP_MUTATORS);
    }
  }
  return applyMutations(bytes, fuzzCase.blind, BLIND_MUTATORS);
}

/** The file extension fixtures of a format use (`.tar.gz`, since `*.tgz` is git-ignored here). */
export function extensionOf(format: FuzzFormat): string {
  return format === 'tgz' ? 'tar.gz' : format;
}
