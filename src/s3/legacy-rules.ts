// Legacy key resolution: the old service's bucket mixed model outputs into dataset folders.
// Each rule is data (a regular expression source and a target template) so that a user can
// read the list, print it, load more from JSON, and extend it without touching code.

/** One legacy key pattern and where its keys belong in the new layout. */
export interface LegacyRule {
  /** A short name for reports and the journal (`training-output`). */
  name: string;
  /**
   * A regular expression source (no slashes, flags `u`), matched against the whole key with
   * runs of `/` collapsed and the layout prefix removed. Named groups feed `target`.
   */
  pattern: string;
  /**
   * The new key, with `{group}` placeholders for the pattern's named groups
   * (`models/training/{job}/{rest}`); `null` marks legacy keys with no new home, which are
   * reported as orphans instead of being left in place silently.
   */
  target: string | null;
}

/**
 * The legacy layouts of the service this library replaces. `<anything>` may span folders;
 * every rule keeps the full remainder of the key after the job or id folder.
 *
 * @example
 * ```ts
 * const rules = [...DEFAULT_LEGACY_RULES, { name: 'exports', pattern: '^exports/(?<name>[^/]+)/(?<rest>.+)$', target: 'deployments/{name}/{rest}' }];
 * ```
 */
export const DEFAULT_LEGACY_RULES: readonly LegacyRule[] = Object.freeze([
  {
    // SageMaker appends <job>/output/model.tar.gz to the output path it was given.
    name: 'training-output',
    pattern: '^datasets/(?<anything>.+)/training-output/(?<job>[^/]+)/(?<rest>.+)$',
    target: 'models/training/{job}/{rest}',
  },
  {
    // Neo writes one file per target, named like model-LINUX_ARM64_NVIDIA.tar.gz.
    name: 'compilation-output',
    pattern:
      '^datasets/(?<anything>.+)/compilation-output/(?<job>[^/]+)/(?<rest>(?:.+/)?model-(?<target>[A-Za-z0-9][A-Za-z0-9_-]*)\\.[^/]+)$',
    target: 'models/compilation/{job}/{target}/{rest}',
  },
  {
    // Model output folders that none of the rules above place (a compilation file with no
    // target in its name): legacy, but where they belong needs a person.
    name: 'unplaced-model-output',
    pattern: '^datasets/.+/(?:training|compilation)-output/',
    target: null,
  },
  {
    name: 'packaged-component',
    pattern: '^model_artifacts/(?<name>model-[^/]+)/(?<rest>.+)$',
    target: 'deployments/{name}/{rest}',
  },
]);

/** The top-level folders of the new layout: a key under one of them is never moved by a rule. */
export const LAYOUT_ROOTS: readonly string[] = Object.freeze(['datasets/', 'models/training/', 'models/compilation/', 'deployments/']);

/** Options of {@link resolveLegacyKey}. */
export interface ResolveOptions {
  /** The layout prefix (`tenants/acme`): only keys under it resolve, and results stay under it. */
  prefix?: string;
}

/** What {@link matchLegacyKey} found: the new key and the rule that produced it. */
export interface LegacyMatch {
  /** The key in the new layout. */
  key: string;
  /** The rule's name, `collapse-slashes` when only `//` was collapsed, or `in-layout`. */
  rule: string;
}

const compiled = new WeakMap<LegacyRule, RegExp>();
function regexOf(rule: LegacyRule): RegExp {
  let re = compiled.get(rule);
  if (re === undefined) {
    re = new RegExp(rule.pattern, 'u');
    compiled.set(rule, re);
  }
  return re;
}

function fill(template: string, groups: Record<string, string | undefined>, rule: LegacyRule): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = groups[name];
    if (value === undefined) throw new Error(`legacy rule ${rule.name}: target uses {${name}} but the pattern has no such group`);
    return value;
  });
}

const MOVED_TO = ['models/', 'deployments/'];

function isInLayout(relative: string): boolean {
  return LAYOUT_ROOTS.some((root) => relative.startsWith(root) && relative.length > root.length);
}

/**
 * Like {@link resolveLegacyKey}, also naming the rule that matched.
 *
 * @example
 * ```ts
 * matchLegacyKey('model_artifacts/model-7/7_greengrass_model_component.zip')?.rule; // 'packaged-component'
 * ```
 */
export function matchLegacyKey(key: string, rules: readonly LegacyRule[] = DEFAULT_LEGACY_RULES, options: ResolveOptions = {}): LegacyMatch | null {
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  // Collapse `//` runs and a leading `/`: S3 keeps them as distinct keys, the new layout never has them.
  const collapsed = key.replace(/\/{2,}/g, '/').replace(/^\//, '');
  if (!collapsed.startsWith(prefix)) return null;
  const relative = collapsed.slice(prefix.length);
  const inLayout = { key: collapsed, rule: collapsed === key ? 'in-layout' : 'collapse-slashes' };
  // Model and deployment folders are the rules' destinations: never moved again, so that
  // resolving twice gives the same key. Dataset folders are where legacy outputs hid, so the
  // rules look there first, and a dataset key no rule claims stays where it is.
  if (MOVED_TO.some((root) => relative.startsWith(root))) return isInLayout(relative) ? inLayout : null;
  for (const rule of rules) {
    const match = regexOf(rule).exec(relative);
    if (match === null) continue;
    if (rule.target === null) return null;
    return { key: prefix + fill(rule.target, match.groups ?? {}, rule), rule: rule.name };
  }
  return isInLayout(relative) ? inLayout : null;
}

/**
 * Maps a legacy key to its key in the new layout, keeping the full remainder of the key (the
 * old service's converter kept only the job folder). Returns a key already in the new layout
 * unchanged, `//` collapsed when it has any, and `null` when no rule matches: never the key
 * echoed back.
 *
 * @example
 * ```ts
 * resolveLegacyKey('datasets/cats/training-output/job-1/output/model.tar.gz');
 * // 'models/training/job-1/output/model.tar.gz'
 * resolveLegacyKey('datasets/cats/compilation-output/job-2/model-LINUX_ARM64_NVIDIA.tar.gz');
 * // 'models/compilation/job-2/LINUX_ARM64_NVIDIA/model-LINUX_ARM64_NVIDIA.tar.gz'
 * resolveLegacyKey('tmp/notes.txt'); // null
 * ```
 */
export function resolveLegacyKey(key: string, rules: readonly LegacyRule[] = DEFAULT_LEGACY_RULES, options: ResolveOptions = {}): string | null {
  return matchLegacyKey(key, rules, options)?.key ?? null;
}
