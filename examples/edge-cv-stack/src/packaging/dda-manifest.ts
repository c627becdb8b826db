// The manifest a Defect Detection App (DDA) component carries at its zip root, built from the
// trained model's export_artifacts/manifest.json and config.yaml. Both are read straight out of
// the training archive in memory (a few KiB each): nothing is extracted to disk.
//
//   manifest.json at the zip root:
//   { "model_graph": {...},                               from export_artifacts/manifest.json
//     "compilable_models": [{ "filename", "data_input_config", "framework" }],   idem
//     "dataset": { "image_width", "image_height" } }      from config.yaml
//
// The model files go under <stage_type>/ in the zip, where stage_type is the type of the first
// stage of model_graph (e.g. "segmentation" or "classification").
import type { ArchiveEntry, ArchiveSource, StreamingExtractor } from 'storage-safe-archive';

/** One model the edge runtime compiles or loads. */
export interface CompilableModel {
  /** File name of the model inside the stage folder. */
  filename: string;
  /** Input tensor shapes by input name, e.g. `{ "input0": [1, 3, 224, 224] }`. */
  data_input_config: Record<string, unknown>;
  /** `PYTORCH`, `ONNX`, ... */
  framework: string;
}

/** The DDA manifest at the zip root. */
export interface DdaManifest {
  /** The model graph from the trained manifest (stages, their types and outputs). */
  model_graph: { stages: Array<{ type: string } & Record<string, unknown>> } & Record<string, unknown>;
  /** The models to compile or load. */
  compilable_models: CompilableModel[];
  /** Input image size the model was trained at. */
  dataset: { image_width: number; image_height: number };
}

/** What the training archive must contain; read with `entries`, nothing written. */
export const TRAINED_MANIFEST_PATH = 'export_artifacts/manifest.json';
/** The training configuration, for the image size. */
export const TRAINING_CONFIG_PATH = 'config.yaml';
const MAX_METADATA_BYTES = 1024 * 1024;

/** The training archive lacks something the DDA manifest needs. */
export class TrainingArtifactsError extends Error {
  override readonly name = 'TrainingArtifactsError';
}

async function readSmallEntry(entry: ArchiveEntry): Promise<string> {
  if (entry.size > MAX_METADATA_BYTES) {
    throw new TrainingArtifactsError(`${entry.path} is ${entry.size} bytes; metadata over ${MAX_METADATA_BYTES} bytes is refused`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads export_artifacts/manifest.json and config.yaml from the training archive, skipping everything else unwritten. */
export async function readTrainingMetadata(extractor: StreamingExtractor, archive: ArchiveSource): Promise<{ manifest: string; config: string }> {
  let manifest: string | undefined;
  let config: string | undefined;
  for await (const entry of extractor.entries(archive)) {
    const path = entry.path.replace(/^\.\//, '');
    if (entry.type === 'file' && path === TRAINED_MANIFEST_PATH) manifest = await readSmallEntry(entry);
    else if (entry.type === 'file' && path === TRAINING_CONFIG_PATH) config = await readSmallEntry(entry);
    else await entry.skip();
    if (manifest !== undefined && config !== undefined) break;
  }
  if (manifest === undefined || config === undefined) {
    const missing = [manifest === undefined ? TRAINED_MANIFEST_PATH : '', config === undefined ? TRAINING_CONFIG_PATH : ''].filter(Boolean).join(' and ');
    throw new TrainingArtifactsError(`the training archive has no ${missing}; was it produced by the DDA training container?`);
  }
  return { manifest, config };
}

// config.yaml is read for two integers; a line scan keeps the example free of a YAML parser.
function yamlInteger(yaml: string, key: string): number {
  const match = new RegExp(`^\\s*${key}\\s*:\\s*["']?(\\d+)["']?\\s*(#.*)?$`, 'm').exec(yaml);
  if (!match?.[1]) throw new TrainingArtifactsError(`config.yaml has no integer "${key}"`);
  return Number(match[1]);
}

/** Builds the DDA manifest from the trained manifest's JSON and config.yaml's text. */
export function buildDdaManifest(trainedManifestJson: string, configYaml: string): DdaManifest {
  let trained: Partial<DdaManifest>;
  try {
    trained = JSON.parse(trainedManifestJson) as Partial<DdaManifest>;
  } catch (error) {
    throw new TrainingArtifactsError(`${TRAINED_MANIFEST_PATH} is not JSON: ${(error as Error).message}`);
  }
  const stages = trained.model_graph?.stages;
  if (!Array.isArray(stages) || typeof stages[0]?.type !== 'string') {
    throw new TrainingArtifactsError(`${TRAINED_MANIFEST_PATH} has no model_graph.stages[0].type`);
  }
  const models = trained.compilable_models;
  if (!Array.isArray(models) || models.length === 0) throw new TrainingArtifactsError(`${TRAINED_MANIFEST_PATH} has no compilable_models`);
  return {
    model_graph: trained.model_graph as DdaManifest['model_graph'],
    compilable_models: models.map((m) => ({ filename: m.filename, data_input_config: m.data_input_config, framework: m.framework })),
    dataset: { image_width: yamlInteger(configYaml, 'image_width'), image_height: yamlInteger(configYaml, 'image_height') },
  };
}

/** The folder the model goes under in the zip: the first stage's type. */
export function stageType(manifest: DdaManifest): string {
  const type = manifest.model_graph.stages[0]?.type ?? '';
  if (!/^[A-Za-z0-9_-]+$/.test(type)) throw new TrainingArtifactsError(`stage type ${JSON.stringify(type)} is not a usable folder name`);
  return type;
}
