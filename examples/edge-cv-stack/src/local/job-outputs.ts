// Local mode only: no emulator trains or compiles a model, so once a training and a compilation
// job exist (moto records them, nothing runs), this places sample outputs where those jobs
// would have written them on the new layout, `models/training/<job>/output/model.tar.gz` and
// `models/compilation/<job>/<target>/model-<target>.tar.gz`, for the packager to take.
import type { S3Client } from '@aws-sdk/client-s3';
import { JOB_NAME_PATTERN, S3PathBuilder, TARGET_PATTERN } from 'storage-safe-archive';
import { z } from 'zod';
import { compiledModelArchive, placeAt, trainedModelArchive } from '../demo/sample-archives.js';

const JobOutputsRequest = z.object({
  trainingJob: z.string().regex(JOB_NAME_PATTERN),
  compilationJob: z.string().regex(JOB_NAME_PATTERN),
  targets: z.array(z.string().regex(TARGET_PATTERN)).min(1).max(20),
});

/**
 * Places sample outputs of `trainingJob` and of `compilationJob` for each target in `bucket`;
 * answers 201 with the URIs, or 400 naming what is wrong with the request.
 *
 * @example
 * await placeSampleJobOutputs(s3, 'edge-cv-ml-models-bucket', { trainingJob: 'unet-1', compilationJob: 'unet-1-neo', targets: ['ml_c5'] });
 */
export async function placeSampleJobOutputs(s3: S3Client, bucket: string, input: unknown): Promise<{ status: number; body: unknown }> {
  const parsed = JobOutputsRequest.safeParse(input);
  if (!parsed.success) {
    return { status: 400, body: { error: 'BAD_REQUEST', message: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') } };
  }
  const { trainingJob, compilationJob, targets } = parsed.data;
  const paths = new S3PathBuilder({ bucket });
  const training = paths.toUri(paths.trainingOutput(trainingJob, 'output', 'model.tar.gz'));
  await placeAt(s3, training, await trainedModelArchive());
  const compiled: Record<string, string> = {};
  for (const target of targets) {
    compiled[target] = paths.toUri(paths.compilationOutput(compilationJob, target, `model-${target}.tar.gz`));
    await placeAt(s3, compiled[target], await compiledModelArchive(target));
  }
  return { status: 201, body: { training, compiled } };
}
