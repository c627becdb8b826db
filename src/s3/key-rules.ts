// The rules every key part must follow, as zod schemas so that each rule has a name and a
// message. A value that breaks a rule is refused with InvalidS3KeyError naming the field and the
// rule; nothing is ever silently rewritten (sanitizeName() is the explicit way to do that).
import { z } from 'zod';
import { InvalidS3KeyError } from '../errors/index.js';

/** S3's limit on a key's length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

// AWS "characters to avoid" in object keys (Object key naming guidelines), plus C0/C1 controls.
// Printable non-ASCII characters are fine and stay allowed.
const AVOID = /[\\{}^%`[\]"<>~#|]/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** A SageMaker training or compilation job name (CreateTrainingJob `TrainingJobName` pattern). */
export const JOB_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** A SageMaker Neo target device or platform name (`ml_c5`, `jetson_xavier`, `LINUX_ARM64_NVIDIA`). */
export const TARGET_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// S3 bucket naming rules (general purpose buckets), without the dotted-IP special case.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const segmentSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((s) => !s.includes('/'), 'must not contain "/" (pass the parts as separate arguments)')
  .refine((s) => s !== '.' && s !== '..', 'must not be "." or ".."')
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')
  .refine((s) => !AVOID.test(s), 'must not contain any of \\ { } ^ % ` [ ] " < > ~ # | (AWS advises avoiding them)');

const jobSchema = z.string().regex(JOB_NAME_PATTERN, 'must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$ (SageMaker job names)');
const targetSchema = z.string().regex(TARGET_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ (a Neo target name)');
const bucketSchema = z.string().regex(BUCKET_PATTERN, 'must be 3 to 63 characters of a-z, 0-9, "." and "-" (S3 bucket names)');

const keySchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((k) => !k.startsWith('/'), 'must not start with "/"')
  .refine((k) => !k.includes('//'), 'must not contain "//" (an empty segment)')
  .refine((k) => Buffer.byteLength(k, 'utf8') <= MAX_KEY_BYTES, `must be at most ${MAX_KEY_BYTES} UTF-8 bytes`)
  .refine((k) => !CONTROL.test(k), 'must not contain control characters');

function check(schema: z.ZodType<string>, field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidS3KeyError(field, 'must be a string', value);
  const result = schema.safeParse(value);
  if (!result.success) {
    const rule = result.error.issues[0]?.message ?? 'is invalid';
    throw new InvalidS3KeyError(field, rule, value);
  }
  return result.data;
}

/**
 * Checks one key segment (a dataset name, a file name, a deployment name).
 *
 * @example
 * ```ts
 * assertSegment('rest[0]', 'images'); // 'images'
 * assertSegment('rest[0]', 'a/b');    // throws InvalidS3KeyError
 * ```
 */
export function assertSegment(field: string, value: unknown): string {
  return check(segmentSchema, field, value);
}

/**
 * Checks a SageMaker job name.
 *
 * @example
 * ```ts
 * assertJobName('job', 'yolo-2024-01-01'); // ok
 * ```
 */
export function assertJobName(field: string, value: unknown): string {
  return check(jobSchema, field, value);
}

/**
 * Checks a compilation target name.
 *
 * @example
 * ```ts
 * assertTarget('target', 'LINUX_ARM64_NVIDIA'); // ok
 * ```
 */
export function assertTarget(field: string, value: unknown): string {
  return check(targetSchema, field, value);
}

/**
 * Checks a bucket name.
 *
 * @example
 * ```ts
 * assertBucketName('bucket', 'edge-cv-data'); // ok
 * ```
 */
export function assertBucketName(field: string, value: unknown): string {
  return check(bucketSchema, field, value);
}

/**
 * Checks a whole key: not empty, no leading `/`, no `//`, at most 1,024 UTF-8 bytes, no control
 * characters.
 *
 * @example
 * ```ts
 * assertKey('key', 'models/training/job-1/output/model.tar.gz'); // ok
 * ```
 */
export function assertKey(field: string, value: unknown): string {
  return check(keySchema, field, value);
}

/**
 * Checks a prefix of one or more segments (`tenants/acme`); one trailing `/` is accepted and
 * dropped, since `tenants/acme/` means the same folder. Returns the prefix without it.
 *
 * @example
 * ```ts
 * assertPrefix('prefix', 'tenants/acme/'); // 'tenants/acme'
 * ```
 */
export function assertPrefix(field: string, value: unknown): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string') throw new InvalidS3KeyError(field, 'must be a string', value);
  const trimmed = value.endsWith('/') ? value.slice(0, -1) : value;
  if (trimmed.startsWith('/')) throw new InvalidS3KeyError(field, 'must not start with "/"', value);
  if (trimmed.includes('//') || trimmed === '') throw new InvalidS3KeyError(field, 'must not contain "//" (an empty segment)', value);
  trimmed.split('/').forEach((s, i) => assertSegment(`${field} segment ${i + 1}`, s));
  return trimmed;
}

/**
 * Turns any text into a valid key segment, explicitly: characters AWS advises avoiding, `/`,
 * controls and whitespace runs become `-`, and the result is cut to `maxBytes` UTF-8 bytes.
 * Returns `'unnamed'` when nothing usable is left. Use it when you accept that the name changes;
 * the builders never call it for you.
 *
 * @example
 * ```ts
 * sanitizeName('cats / dogs {v2}'); // 'cats-dogs-v2'
 * ```
 */
export function sanitizeName(value: string, maxBytes = 255): string {
  let out = value
    .normalize('NFC')
    .replace(/[\\{}^%`[\]"<>~#|/]|[\u0000-\u001f\u007f-\u009f]|\s+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  if (out === '.' || out === '..') out = '';
  if (Buffer.byteLength(out, 'utf8') > maxBytes) {
    let bytes = 0;
    let cut = '';
    for (const ch of out) {
      bytes += Buffer.byteLength(ch, 'utf8');
      if (bytes > maxBytes) break;
      cut += ch;
    }
    out = cut;
  }
  out = out.replace(/-+$/, '');
  return out === '' ? 'unnamed' : out;
}

/**
 * Turns any text into a valid SageMaker job name, explicitly: runs of other characters become
 * `-`, and the result is cut to 63 characters. Returns `'job'` when nothing usable is left.
 *
 * @example
 * ```ts
 * sanitizeJobName('My job #3'); // 'My-job-3'
 * ```
 */
export function sanitizeJobName(value: string): string {
  const out = value.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return out === '' ? 'job' : out;
}
