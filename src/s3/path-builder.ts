// The one place keys of the new layout are built and read back. Top-level folders are exactly
// datasets/, models/training/, models/compilation/ and deployments/ under an optional prefix.
import { InvalidS3KeyError } from '../errors/index.js';
import { assertBucketName, assertJobName, assertKey, assertPrefix, assertSegment, assertTarget } from './key-rules.js';
import { DEFAULT_LEGACY_RULES, matchLegacyKey, type LegacyRule } from './legacy-rules.js';

/** Options of {@link S3PathBuilder}. */
export interface S3PathBuilderOptions {
  /** The bucket, for `toUri()` and for reading `s3://` URIs back. */
  bucket: string;
  /** A folder (one or more levels, `tenants/acme`) every key goes under. */
  prefix?: string;
  /** Legacy rules `parse()` uses for keys outside the layout; defaults to {@link DEFAULT_LEGACY_RULES}. */
  legacyRules?: readonly LegacyRule[];
}

/** A key under `datasets/<name>/`. */
export interface DatasetKey {
  /** Always `'dataset'`. */
  kind: 'dataset';
  /** The whole key. */
  key: string;
  /** The dataset's name. */
  name: string;
  /** The segments after the name. */
  rest: string[];
}

/** A key under `models/training/<job>/`. */
export interface TrainingKey {
  /** Always `'training'`. */
  kind: 'training';
  /** The whole key. */
  key: string;
  /** The training job's name. */
  job: string;
  /** The segments after the job (`['output', 'model.tar.gz']`). */
  rest: string[];
}

/** A key under `models/compilation/<job>/<target>/`. */
export interface CompilationKey {
  /** Always `'compilation'`. */
  kind: 'compilation';
  /** The whole key. */
  key: string;
  /** The compilation job's name. */
  job: string;
  /** The target device or platform. */
  target: string;
  /** The segments after the target. */
  rest: string[];
}

/** A key under `deployments/<name>/`. */
export interface DeploymentKey {
  /** Always `'deployment'`. */
  kind: 'deployment';
  /** The whole key. */
  key: string;
  /** The deployment's name. */
  name: string;
  /** The segments after the name. */
  rest: string[];
}

/** A key no layout folder and no legacy rule explains. */
export interface UnknownKey {
  /** Always `'unknown'`. */
  kind: 'unknown';
  /** The whole key. */
  key: string;
}

/** A legacy key, with where it belongs in the new layout. */
export interface LegacyKey {
  /** Always `'legacy'`. */
  kind: 'legacy';
  /** The legacy key as given. */
  key: string;
  /** The name of the rule that matched. */
  rule: string;
  /** The key in the new layout. */
  newKey: string;
  /** `newKey` parsed. */
  resolved: ParsedLayoutKey | UnknownKey;
}

/** What a key of the new layout is, as {@link S3PathBuilder.parse} reads it. */
export type ParsedLayoutKey = DatasetKey | TrainingKey | CompilationKey | DeploymentKey;

/** What {@link S3PathBuilder.parse} found: a layout key, a legacy key with its new equivalent, or neither. */
export type ParsedS3Key = ParsedLayoutKey | LegacyKey | UnknownKey;

/**
 * Builds and parses keys of the new layout. Every argument is validated; a bad one throws
 * {@link InvalidS3KeyError} naming the argument and the rule, never a silently altered key.
 *
 * @example
 * ```ts
 * const paths = new S3PathBuilder({ bucket: 'edge-cv', prefix: 'tenants/acme' });
 * paths.trainingOutput('yolo-1');          // 'tenants/acme/models/training/yolo-1'
 * paths.compilationOutput('neo-1', 'jetson_xavier', 'model.tar.gz');
 * paths.toUri(paths.deployment('cam-v2')); // 's3://edge-cv/tenants/acme/deployments/cam-v2'
 * paths.parse('s3://edge-cv/tenants/acme/models/training/yolo-1/output/model.tar.gz');
 * // { kind: 'training', job: 'yolo-1', rest: ['output', 'model.tar.gz'], key: '…' }
 * ```
 */
export class S3PathBuilder {
  /** The bucket. */
  readonly bucket: string;
  /** The prefix without a trailing `/`, or `''`. */
  readonly prefix: string;
  /** The legacy rules `parse()` applies. */
  readonly legacyRules: readonly LegacyRule[];

  constructor(options: S3PathBuilderOptions) {
    this.bucket = assertBucketName('bucket', options.bucket);
    this.prefix = assertPrefix('prefix', options.prefix);
    this.legacyRules = options.legacyRules ?? DEFAULT_LEGACY_RULES;
  }

  /** The key of a dataset folder or a file in it: `datasets/<name>/…`. */
  dataset(name: string, ...rest: string[]): string {
    return this.build(['datasets', assertSegment('name', name)], rest);
  }

  /** Where a training job's outputs go: `models/training/<job>/…` (SageMaker appends `<job>/output/model.tar.gz` to `models/training/`). */
  trainingOutput(job: string, ...rest: string[]): string {
    return this.build(['models', 'training', assertJobName('job', job)], rest);
  }

  /** Where a compilation job's output for one target goes: `models/compilation/<job>/<target>/…`. */
  compilationOutput(job: string, target: string, ...rest: string[]): string {
    return this.build(['models', 'compilation', assertJobName('job', job), assertTarget('target', target)], rest);
  }

  /** Where a packaged deployment artifact goes: `deployments/<name>/…`. */
  deployment(name: string, ...rest: string[]): string {
    return this.build(['deployments', assertSegment('name', name)], rest);
  }

  /** The full `s3://bucket/key` URI of a key (API responses return these, requirement 3.4). */
  toUri(key: string): string {
    return `s3://${this.bucket}/${assertKey('key', key)}`;
  }

  /**
   * Reads a key or an `s3://` URI of this bucket back into its parts. A legacy key comes back
   * with its new-layout equivalent; anything else is `unknown`.
   */
  parse(keyOrUri: string): ParsedS3Key {
    const key = this.keyOf(keyOrUri);
    // Legacy first: old outputs live under datasets/, so a dataset key may really be a legacy one.
    const legacy = matchLegacyKey(key, this.legacyRules, { prefix: this.prefix });
    if (legacy !== null && legacy.key !== key) {
      const resolved = this.parseLayout(legacy.key) ?? { kind: 'unknown', key: legacy.key };
      return { kind: 'legacy', key, rule: legacy.rule, newKey: legacy.key, resolved };
    }
    return this.parseLayout(key) ?? { kind: 'unknown', key };
  }

  private keyOf(keyOrUri: string): string {
    if (!keyOrUri.startsWith('s3://')) return keyOrUri;
    const rest = keyOrUri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (bucket !== this.bucket) throw new InvalidS3KeyError('uri', `must name bucket ${this.bucket}`, keyOrUri);
    return slash === -1 ? '' : rest.slice(slash + 1);
  }

  private parseLayout(key: string): ParsedLayoutKey | undefined {
    if (key.includes('//') || key.startsWith('/')) return undefined;
    const head = this.prefix === '' ? '' : `${this.prefix}/`;
    if (!key.startsWith(head)) return undefined;
    const parts = key.slice(head.length).split('/');
    const [a, b, c, d, ...more] = parts;
    if (a === 'datasets' && b) return { kind: 'dataset', key, name: b, rest: parts.slice(2) };
    if (a === 'deployments' && b) return { kind: 'deployment', key, name: b, rest: parts.slice(2) };
    if (a === 'models' && b === 'training' && c) return { kind: 'training', key, job: c, rest: parts.slice(3) };
    if (a === 'models' && b === 'compilation' && c && d) return { kind: 'compilation', key, job: c, target: d, rest: more };
    return undefined;
  }

  private build(head: string[], rest: string[]): string {
    const tail = rest.map((part, i) => assertSegment(`rest[${i}]`, part));
    const key = [...(this.prefix === '' ? [] : [this.prefix]), ...head, ...tail].join('/');
    return assertKey('key', key);
  }
}
