// Reads what a Distributed Map produced. With a ResultWriter, Step Functions writes the child
// executions' results to S3 and the map's output is only `{ ResultWriterDetails: { Bucket, Key } }`
// naming `manifest.json`, which lists `SUCCEEDED_n.json` / `FAILED_n.json` files of entries
// `{ Input, Output, Status, Error, Cause }` (JSON strings for Input and Output). An executor that
// has no ResultWriter (the local one, aws-local-stepfunctions) passes the outputs inline as an
// array instead; both shapes come out the same here.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** One map item's result. */
export interface MapItemResult {
  /** The item's target, from its output or, for a failure, its input. */
  target?: string;
  /** Whether the item's execution succeeded. */
  status: 'SUCCEEDED' | 'FAILED';
  /** The item's output, when it succeeded. */
  output?: unknown;
  /** `Error: Cause`, when it failed. */
  error?: string;
}

interface ResultWriterManifest {
  DestinationBucket?: string;
  ResultFiles?: Record<string, Array<{ Key: string; Size?: number }>>;
}

interface ResultFileEntry {
  Input?: string;
  Output?: string;
  Status?: string;
  Error?: string;
  Cause?: string;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function targetOf(value: unknown): string | undefined {
  const v = value as { target?: unknown; item?: { target?: unknown } } | undefined;
  const target = v?.target ?? v?.item?.target;
  return typeof target === 'string' ? target : undefined;
}

async function readJsonObject(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const reply = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await reply.Body?.transformToString('utf8')) ?? 'null');
}

/**
 * The map's item results, from its inline output or from the files its ResultWriter wrote.
 *
 * @example
 * const { results, location } = await readMapResults({ ResultWriterDetails: { Bucket: 'b', Key: 'runs/x/manifest.json' } }, s3);
 */
export async function readMapResults(mapOutput: unknown, s3: S3Client): Promise<{ results: MapItemResult[]; location?: string }> {
  if (Array.isArray(mapOutput)) {
    return { results: mapOutput.map((output) => ({ target: targetOf(output), status: 'SUCCEEDED' as const, output })) };
  }
  const details = (mapOutput as { ResultWriterDetails?: { Bucket?: string; Key?: string } } | null)?.ResultWriterDetails;
  if (!details?.Bucket || !details.Key) throw new Error(`the map's output is neither an array of results nor ResultWriterDetails: ${JSON.stringify(mapOutput).slice(0, 200)}`);
  const manifest = (await readJsonObject(s3, details.Bucket, details.Key)) as ResultWriterManifest;
  const bucket = manifest.DestinationBucket ?? details.Bucket;
  const results: MapItemResult[] = [];
  for (const [kind, files] of Object.entries(manifest.ResultFiles ?? {})) {
    if (kind !== 'SUCCEEDED' && kind !== 'FAILED') continue;
    for (const file of files) {
      const entries = (await readJsonObject(s3, bucket, file.Key)) as ResultFileEntry[];
      for (const entry of entries) {
        if (kind === 'SUCCEEDED') {
          const output = parseJson(entry.Output);
          results.push({ target: targetOf(output), status: 'SUCCEEDED', output });
        } else {
          results.push({ target: targetOf(parseJson(entry.Input)), status: 'FAILED', error: `${entry.Error ?? 'Error'}: ${entry.Cause ?? ''}`.trim() });
        }
      }
    }
  }
  return { results, location: `s3://${details.Bucket}/${details.Key}` };
}
