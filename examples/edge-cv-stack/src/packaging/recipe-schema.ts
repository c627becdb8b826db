// The documented shape of the Greengrass v2 recipe fields the packager emits, as a zod schema
// (AWS IoT Greengrass V2 Developer Guide, "AWS IoT Greengrass component recipe reference"): a
// test validates every recipe the packager publishes against it. Strict objects: a field we do
// not know the documented shape of fails the test rather than reaching Greengrass unchecked.
import { z } from 'zod';

/** `major.minor.patch`, optionally `-prerelease` (the versions the packaging event accepts). */
const SEMANTIC_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
/** Standard base64 of 32 bytes: 43 characters and one `=`. */
const SHA256_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
const PERMISSION = z.enum(['NONE', 'OWNER', 'ALL']);

/** One artifact: an S3 URI, how to unpack it, who may read it, and its digest. */
export const RecipeArtifactSchema = z.strictObject({
  /** "The URI of an artifact in an S3 bucket." */
  URI: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+/, 'an s3://bucket/key URI'),
  /** `NONE` (default) or `ZIP`. */
  Unarchive: z.enum(['NONE', 'ZIP']),
  /** Read and execute permissions of the installed file(s). */
  Permission: z.strictObject({ Read: PERMISSION.optional(), Execute: PERMISSION.optional() }),
  /** The digest the nucleus compares a download with: base64 of the SHA-256. */
  Digest: z.string().regex(SHA256_BASE64, 'base64 of a SHA-256 (44 characters), as the nucleus computes it'),
  /** A Java MessageDigest algorithm name. */
  Algorithm: z.literal('SHA-256'),
});

/** One manifest: the platform it applies to and its artifacts (unique file names within it). */
export const RecipeManifestSchema = z.strictObject({
  Platform: z.record(z.string(), z.string()).refine((p) => typeof p.os === 'string', 'Platform.os is required'),
  Artifacts: z
    .array(RecipeArtifactSchema)
    .min(1)
    .refine((artifacts) => new Set(artifacts.map((a) => a.URI.split('/').pop())).size === artifacts.length, 'each artifact must have a unique file name within its manifest'),
});

/** The recipe fields the packager emits. */
export const GreengrassRecipeSchema = z.strictObject({
  RecipeFormatVersion: z.literal('2020-01-25'),
  ComponentName: z.string().min(1),
  ComponentVersion: z.string().regex(SEMANTIC_VERSION, 'a semantic version'),
  ComponentDescription: z.string(),
  ComponentPublisher: z.string(),
  Manifests: z.array(RecipeManifestSchema).min(1),
});
