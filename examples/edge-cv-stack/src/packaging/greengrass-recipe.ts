// Greengrass v2 component recipes for packaged models: one component per target, whose single
// manifest selects the target's platform and unpacks the zip artifact on the device. The artifact
// carries its SHA-256 as Greengrass spells it: `Algorithm: SHA-256` and `Digest` in standard
// base64 (the nucleus checks a download with `MessageDigest.getInstance(Algorithm)` and
// `Base64.getEncoder()`). Greengrass treats both fields as read-only and fills them in itself
// from the S3 object when the component version is created; because the object is immutable
// (immutable-artifact.ts), its value and ours are the same, and the recipe kept in the report
// says which bytes were shipped. recipe-schema.ts holds the shape these fields must have.
import { GREENGRASS_DIGEST_ALGORITHM } from './artifact-digest.js';

/** Greengrass platform attributes of each Neo target (data, so new targets are one line). */
export const TARGET_PLATFORMS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  jetson_nano: { os: 'linux', architecture: 'aarch64' },
  jetson_tx2: { os: 'linux', architecture: 'aarch64' },
  jetson_xavier: { os: 'linux', architecture: 'aarch64' },
  jetson_orin: { os: 'linux', architecture: 'aarch64' },
  rasp3b: { os: 'linux', architecture: 'arm' },
  rasp4b: { os: 'linux', architecture: 'aarch64' },
  x86_64: { os: 'linux', architecture: 'amd64' },
  ml_c5: { os: 'linux', architecture: 'amd64' },
  ml_m5: { os: 'linux', architecture: 'amd64' },
  ml_p3: { os: 'linux', architecture: 'amd64' },
});

/** The platform of `target`; an unknown target runs on any Linux device. */
export function platformFor(target: string): Record<string, string> {
  return { ...(TARGET_PLATFORMS[target] ?? { os: 'linux' }) };
}

/** A Greengrass v2 recipe (the fields we set). */
export interface GreengrassRecipe {
  /** Always `2020-01-25`. */
  RecipeFormatVersion: '2020-01-25';
  /** Component name: `<componentName>-<target>`. */
  ComponentName: string;
  /** Semantic version. */
  ComponentVersion: string;
  /** What it is. */
  ComponentDescription: string;
  /** Who published it. */
  ComponentPublisher: string;
  /** One manifest: the target's platform and the zip. */
  Manifests: Array<{
    Platform: Record<string, string>;
    Artifacts: Array<{ URI: string; Digest: string; Algorithm: typeof GREENGRASS_DIGEST_ALGORITHM; Unarchive: 'ZIP'; Permission: { Read: 'OWNER' | 'ALL' } }>;
  }>;
}

/** The recipe for one packaged target; `artifactSha256Base64` is the zip's SHA-256 in base64. */
export function buildRecipe(input: { componentName: string; componentVersion: string; target: string; artifactUri: string; artifactSha256Base64: string; trainingJob: string }): GreengrassRecipe {
  return {
    RecipeFormatVersion: '2020-01-25',
    ComponentName: `${input.componentName}-${input.target}`,
    ComponentVersion: input.componentVersion,
    ComponentDescription: `Model from training job ${input.trainingJob}, compiled for ${input.target}, packaged by edge-cv-stack`,
    ComponentPublisher: 'edge-cv-stack',
    Manifests: [
      {
        Platform: platformFor(input.target),
        Artifacts: [{ URI: input.artifactUri, Digest: input.artifactSha256Base64, Algorithm: GREENGRASS_DIGEST_ALGORITHM, Unarchive: 'ZIP', Permission: { Read: 'OWNER' } }],
      },
    ],
  };
}

/** Creates component versions: the real client in Lambda, a recorder in tests (Greengrass is not local). */
export interface ComponentPublisher {
  /** Creates the component version of `recipe`; returns its ARN when the service gives one. */
  createComponentVersion(recipe: GreengrassRecipe): Promise<{ arn?: string }>;
}

/** True for Greengrass's answer to creating a component version that already exists. */
export function isComponentVersionConflict(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConflictException';
}

/**
 * Creates the component version of `recipe`. A version that already exists is fine when this
 * run wrote no artifact (a repeated packaging whose bytes matched the published ones: the
 * existing version names the same immutable key); after a fresh write it is a real conflict.
 */
export async function publishRecipe(publisher: ComponentPublisher, recipe: GreengrassRecipe, artifactWritten: boolean): Promise<{ arn?: string; alreadyPublished?: true }> {
  try {
    return await publisher.createComponentVersion(recipe);
  } catch (error) {
    if (!artifactWritten && isComponentVersionConflict(error)) return { alreadyPublished: true };
    throw error;
  }
}
