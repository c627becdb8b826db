// What SageMaker would have written, for the local mode and the demo: no emulator trains or
// compiles a model, so after moto reports a job Completed these archives are placed at the paths
// the job status returned. A training output carries export_artifacts/manifest.json and
// config.yaml (what the packager reads); a compiled output carries a few Neo-like files.
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pack } from 'tar-stream';
import { sampleModel } from './sample-model.js';

/** `files` as a gzipped tar, entries in the given order with a fixed time. */
export async function tarGz(files: Record<string, string | Buffer>): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', () => resolve());
    archive.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    archive.entry({ name, mtime: new Date(0), mode: 0o644 }, typeof content === 'string' ? Buffer.from(content) : content);
  }
  archive.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** A trained model.tar.gz as the packager expects it (a segmentation model, 640x480 images). */
export function trainedModelArchive(weightBytes = 64 * 1024): Promise<Buffer> {
  return tarGz({
    'model.pt': sampleModel(weightBytes, 7).data,
    'export_artifacts/manifest.json': JSON.stringify({
      model_graph: { stages: [{ type: 'segmentation', input_shape: [1, 3, 480, 640], seg_output_name: 'mask' }] },
      compilable_models: [{ filename: 'model.pt', data_input_config: { input0: [1, 3, 480, 640] }, framework: 'PYTORCH' }],
    }),
    'config.yaml': 'model:\n  name: unet\ndataset:\n  image_width: 640\n  image_height: 480\n',
  });
}

/** A compiled model-<target>.tar.gz (distinct bytes per target). */
export function compiledModelArchive(target: string, paramBytes = 256 * 1024): Promise<Buffer> {
  let seed = 0;
  for (const c of target) seed = (seed * 31 + c.charCodeAt(0)) >>> 0;
  return tarGz({
    'compiled.so': `shared object compiled for ${target}\n`,
    'compiled.params': sampleModel(paramBytes, seed).data,
    'compiled_model.json': JSON.stringify({ target }),
  });
}

/**
 * Uploads `body` to the `s3://` URI a job status returned (the bucket must be the client's).
 *
 * @example
 * await placeAt(s3, status.outputs.model.uri, await trainedModelArchive());
 */
export async function placeAt(s3: S3Client, uri: string, body: Buffer): Promise<{ bucket: string; key: string }> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// object URI: ${uri}`);
  const [, bucket, key] = match as unknown as [string, string, string];
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { bucket, key };
}
