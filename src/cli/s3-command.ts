// `storage-safe-archive s3 plan|migrate|validate|rollback|finalize`: a thin shell over the
// migration engine in src/s3/. It parses flags, builds the SDK clients (the SDK is an optional
// peer dependency, loaded here on demand), runs one step and prints text or `--json`.
// It never prompts: a destructive step runs when it is asked for, so it works the same in a
// terminal, a pipe and CI.
import { parseArgs } from 'node:util';
import { isStorageError } from '../errors/index.js';
import type { MigrationOptions, ReferenceTable } from '../s3/index.js';

/** Where the command writes, and the environment it reads (injectable for tests). */
export interface S3CommandIo {
  /** Receives results. Default `process.stdout`. */
  stdout?: { write(text: string): unknown };
  /** Receives errors and progress. Default `process.stderr`. */
  stderr?: { write(text: string): unknown };
  /** Environment variables. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Cancels the step (the CLI wires SIGINT to it). */
  signal?: AbortSignal;
}

const USAGE = `usage: storage-safe-archive s3 <plan|migrate|validate|rollback|finalize> --bucket B [options]

  --bucket B               the bucket to reorganise (required)
  --prefix P               only keys under P; the new layout goes under P too
  --table T                a DynamoDB table whose references follow the objects (repeatable)
  --attribute A            an attribute path in every --table, e.g. compilation_jobs[].compiled_model_s3 (repeatable)
  --endpoint URL           an S3-compatible endpoint (path-style addressing); or AWS_ENDPOINT_URL_S3
  --dynamodb-endpoint URL  a DynamoDB endpoint; or AWS_ENDPOINT_URL_DYNAMODB
  --region R               default AWS_REGION, else us-east-1
  --id ID                  the migration for rollback, finalize and validate (default: the latest)
  --dry-run                report what would happen; write nothing
  --concurrency N          requests in flight (default 8)
  --json                   print the report as JSON
  -h, --help               this text

exit codes: 0 done (validate: everything intact), 1 a check failed or the step was refused, 2 bad usage
`;

const STEPS = ['plan', 'migrate', 'validate', 'rollback', 'finalize'] as const;
type Step = (typeof STEPS)[number];

/**
 * Runs `storage-safe-archive s3 …` with `argv` (after `s3`) and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await runS3Command(['plan', '--bucket', 'edge-cv', '--json']);
 * ```
 */
export async function runS3Command(argv: string[], io: S3CommandIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        table: { type: 'string', multiple: true },
        attribute: { type: 'string', multiple: true },
        endpoint: { type: 'string' },
        'dynamodb-endpoint': { type: 'string' },
        region: { type: 'string' },
        id: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    stderr.write(`storage-safe-archive s3: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    stdout.write(USAGE);
    return 0;
  }
  const step = positionals[0] as Step | undefined;
  if (step === undefined || !STEPS.includes(step) || positionals.length > 1) {
    stderr.write(`storage-safe-archive s3: expected one of ${STEPS.join(', ')}, got ${JSON.stringify(positionals.join(' '))}\n${USAGE}`);
    return 2;
  }
  if (!values.bucket) {
    stderr.write(`storage-safe-archive s3 ${step}: --bucket is required\n${USAGE}`);
    return 2;
  }
  const tables = values.table ?? [];
  const attributes = values.attribute ?? [];
  if ((tables.length > 0) !== (attributes.length > 0)) {
    stderr.write(`storage-safe-archive s3 ${step}: --table and --attribute go together (attributes apply to every table)\n`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    stderr.write(`storage-safe-archive s3 ${step}: --concurrency must be a whole number of at least 1, got ${JSON.stringify(values.concurrency)}\n`);
    return 2;
  }

  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const s3Endpoint = values.endpoint ?? env.AWS_ENDPOINT_URL_S3;
  const dynamoEndpoint = values['dynamodb-endpoint'] ?? env.AWS_ENDPOINT_URL_DYNAMODB;
  let clients: { destroy(): void }[] = [];
  // Ctrl-C cancels cleanly: the journal is flushed and `migrate` resumes where it stopped.
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort(new Error('interrupted by SIGINT'));
  if (io.signal === undefined) process.once('SIGINT', onSigint);
  try {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      region,
      ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}),
      // Checksums only where S3 requires them: S3-compatible servers often mishandle aws-chunked bodies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.push(s3);
    const options: MigrationOptions = {
      s3,
      bucket: values.bucket,
      prefix: values.prefix,
      dryRun: values['dry-run'],
      concurrency,
      id: values.id,
      signal: io.signal ?? interrupt.signal,
    };
    if (tables.length > 0) {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const dynamodb = new DynamoDBClient({ region, ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}) });
      clients.push(dynamodb);
      options.dynamodb = dynamodb;
      options.tables = tables.map((table): ReferenceTable => ({ table, attributes }));
    }
    return await runStep(step, options, values.json, stdout);
  } catch (error) {
    if (values.json) stdout.write(`${JSON.stringify({ error: isStorageError(error) ? error.toJSON() : { name: (error as Error).name, message: (error as Error).message } }, null, 2)}\n`);
    stderr.write(`storage-safe-archive s3 ${step}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    for (const client of clients) client.destroy();
    clients = [];
  }
}

async function runStep(step: Step, options: MigrationOptions, json: boolean, stdout: { write(text: string): unknown }): Promise<number> {
  const s3 = await import('../s3/index.js');
  const print = (report: unknown, text: string) => stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${text}\n`);
  switch (step) {
    case 'plan': {
      const plan = await s3.planMigration(options);
      print(plan, s3.formatPlan(plan));
      return 0;
    }
    case 'migrate': {
      const report = await s3.runMigration(options);
      print(report, s3.formatMigrationReport(report));
      return 0;
    }
    case 'validate': {
      const report = await s3.validateMigration(options);
      print(report, s3.formatValidation(report));
      return report.ok ? 0 : 1;
    }
    case 'rollback': {
      const report = await s3.rollbackMigration(options);
      const kept = report.copiesKept.length ? `; kept ${report.copiesKept.length} copies whose original is missing: ${report.copiesKept.join(', ')}` : '';
      print(report, `${report.dryRun ? '[dry run] ' : ''}rollback of ${report.id}: ${report.referencesRestored} reference(s) restored, ${report.copiesRemoved} copies removed${kept}`);
      return report.copiesKept.length ? 1 : 0;
    }
    case 'finalize': {
      const report = await s3.finalizeMigration(options);
      print(report, `${report.dryRun ? '[dry run] ' : ''}finalize of ${report.id}: ${report.originalsDeleted} original(s) ${report.dryRun ? 'would be ' : ''}deleted`);
      return 0;
    }
  }
}
