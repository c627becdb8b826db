// What the job endpoints accept, as zod schemas: one place that says which fields exist, their
// defaults and their limits, and that turns a bad body into one 400 message naming each field.
import { JOB_NAME_PATTERN, TARGET_PATTERN } from 'storage-safe-archive';
import { z } from 'zod';
import { BadRequestError } from '../http/request-body.js';

// SageMaker's own limits (CreateTrainingJob / CreateCompilationJob API reference).
const MAX_TRAINING_SECONDS = 28 * 24 * 3600;
const jobName = z.string().regex(JOB_NAME_PATTERN, 'must be 1-63 letters, digits or single hyphens, starting and ending with a letter or digit (a SageMaker job name)');
// A folder name under datasets/: one S3 key segment, no dots first, no slashes.
const datasetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be one folder name under datasets/ (letters, digits, ".", "_", "-")');
const noSpaces = z.string().min(1).max(255).regex(/^\S+$/, 'must not contain spaces');

/** Body of `POST /jobs/training`. */
export const TrainingJobRequestSchema = z.strictObject({
  /** SageMaker training job name; must start with the stack's job-name prefix. */
  jobName,
  /** Training image URI (ECR). */
  trainingImage: noSpaces,
  /** Dataset folder under `datasets/`; becomes the `training` channel. */
  dataset: datasetName,
  /** Instance type. */
  instanceType: z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.g4dn.xlarge').default('ml.g4dn.xlarge'),
  /** Instances. */
  instanceCount: z.number().int().min(1).max(20).default(1),
  /** EBS volume per instance, GB. */
  volumeSizeGb: z.number().int().min(1).max(16_384).default(50),
  /** Hard stop after this many seconds. */
  maxRuntimeSeconds: z.number().int().min(60).max(MAX_TRAINING_SECONDS).default(24 * 3600),
  /** Hyperparameters, passed as strings. */
  hyperParameters: z.record(z.string().max(256), z.string().max(2500)).refine((h) => Object.keys(h).length <= 100, 'at most 100 hyperparameters').optional(),
});

/** Neo's input frameworks (CreateCompilationJob `InputConfig.Framework`). */
export const COMPILATION_FRAMEWORKS = ['TENSORFLOW', 'KERAS', 'MXNET', 'ONNX', 'PYTORCH', 'XGBOOST', 'TFLITE', 'DARKNET', 'SKLEARN'] as const;

/** Body of `POST /jobs/compilation`: one SageMaker compilation job per target. */
export const CompilationJobRequestSchema = z.strictObject({
  /** The compilation's name: outputs go to `models/compilation/<jobName>/<target>/`. */
  jobName,
  /** The training job whose `output/model.tar.gz` is compiled. */
  trainingJob: jobName,
  /** Neo target devices, one compilation job each. */
  targets: z
    .array(z.string().regex(TARGET_PATTERN, 'must be a Neo target device name such as jetson_xavier'))
    .min(1)
    .max(16)
    .refine((t) => new Set(t).size === t.length, 'lists a target twice'),
  /** The model's framework. */
  framework: z.enum(COMPILATION_FRAMEWORKS),
  /** Framework version, when Neo needs one. */
  frameworkVersion: z.string().regex(/^\d+(\.\d+){0,2}$/, 'must be a version such as 1.13').optional(),
  /** Input shapes, as Neo's DataInputConfig JSON (an object is serialised). */
  dataInputConfig: z.union([z.string().min(2).max(1024), z.record(z.string(), z.unknown())]),
  /** Hard stop per compilation job. */
  maxRuntimeSeconds: z.number().int().min(60).max(MAX_TRAINING_SECONDS).default(900),
});

/** A validated training request (defaults applied). */
export type TrainingJobRequest = z.infer<typeof TrainingJobRequestSchema>;
/** A validated compilation request (defaults applied). */
export type CompilationJobRequest = z.infer<typeof CompilationJobRequestSchema>;

/** The kinds of job `GET /jobs/{kind}/{jobName}` reports on. */
export const JobKindSchema = z.enum(['training', 'compilation']);
/** `training` or `compilation`. */
export type JobKind = z.infer<typeof JobKindSchema>;

/**
 * Parses `body` with `schema`, or throws a {@link BadRequestError} listing every problem as
 * `field: message`, so one 400 tells the caller all it must fix.
 *
 * @example
 * parseRequest(TrainingJobRequestSchema, { jobName: 'x' }); // BadRequestError: trainingImage: ...; dataset: ...
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`);
  throw new BadRequestError(problems.join('; '));
}

/** Checks that `name` starts with the stack's job-name prefix, the only names its IAM role may create. */
export function assertJobPrefix(field: string, name: string, prefix: string): void {
  if (prefix !== '' && !name.startsWith(prefix)) {
    throw new BadRequestError(`${field}: must start with "${prefix}" (the stack's job-name prefix; its role may create no other jobs), got "${name}"`);
  }
}
