// The recipe fields the packager emits against their documented shape (recipe-schema.ts), and
// the digest spelling Greengrass uses: base64 of the SHA-256 bytes, Algorithm "SHA-256".
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hexToBase64 } from '../../src/packaging/artifact-digest.js';
import { buildRecipe } from '../../src/packaging/greengrass-recipe.js';
import { GreengrassRecipeSchema } from '../../src/packaging/recipe-schema.js';

const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const recipe = buildRecipe({
  componentName: 'unet',
  componentVersion: '1.2.3',
  target: 'jetson_xavier',
  artifactUri: 's3://edge-cv-ml-models-bucket/deployments/unet/1.2.3/jetson_xavier/unet-jetson_xavier.zip',
  artifactSha256Base64: hexToBase64(EMPTY_SHA256_HEX),
  trainingJob: 'unet-train-1',
});

/** The recipe with its one artifact changed by `change`. */
function withArtifact(change: (artifact: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(recipe) as unknown as { Manifests: Array<{ Artifacts: Array<Record<string, unknown>> }> };
  change(copy.Manifests[0]!.Artifacts[0]!);
  return copy;
}

describe('Greengrass recipe', () => {
  it('spells the digest as the nucleus computes it: base64 of the 32 bytes, Algorithm SHA-256', () => {
    // SHA-256 of no bytes, in both spellings (a published test vector).
    expect(hexToBase64(EMPTY_SHA256_HEX)).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    expect(hexToBase64(EMPTY_SHA256_HEX)).toBe(createHash('sha256').update(Buffer.alloc(0)).digest('base64'));
    expect(recipe.Manifests[0]?.Artifacts[0]).toMatchObject({ Digest: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', Algorithm: 'SHA-256' });
    expect(() => hexToBase64(EMPTY_SHA256_HEX.toUpperCase())).toThrow(/hex SHA-256/);
  });

  it('what buildRecipe emits has the documented shape', () => {
    expect(GreengrassRecipeSchema.safeParse(recipe).error).toBeUndefined();
  });

  it.each([
    ['a hex digest', (a: Record<string, unknown>) => (a.Digest = EMPTY_SHA256_HEX), /base64 of a SHA-256/],
    ['no digest', (a: Record<string, unknown>) => delete a.Digest, /Digest/],
    ['another algorithm name', (a: Record<string, unknown>) => (a.Algorithm = 'SHA256'), /Algorithm/],
    ['an https URI', (a: Record<string, unknown>) => (a.URI = 'https://example.org/unet.zip'), /s3:\/\/bucket\/key/],
    ['an unknown unarchive type', (a: Record<string, unknown>) => (a.Unarchive = 'TAR'), /Unarchive/],
    ['a field we do not emit', (a: Record<string, unknown>) => (a.Size = 10), /Size/],
  ])('refuses %s', (_name, change, message) => {
    const result = GreengrassRecipeSchema.safeParse(withArtifact(change));
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it('refuses two artifacts with one file name in a manifest, and a version that is not semantic', () => {
    const twice = structuredClone(recipe);
    twice.Manifests[0]!.Artifacts.push({ ...twice.Manifests[0]!.Artifacts[0]!, URI: 's3://other-bucket/elsewhere/unet-jetson_xavier.zip' });
    expect(JSON.stringify(GreengrassRecipeSchema.safeParse(twice).error?.issues)).toMatch(/unique file name/);
    expect(GreengrassRecipeSchema.safeParse({ ...recipe, ComponentVersion: 'v1' }).success).toBe(false);
  });
});
