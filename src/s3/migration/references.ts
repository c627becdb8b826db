// DynamoDB references: attributes holding `s3://` URIs, named by paths such as `artifact_s3`
// or `compilation_jobs[].compiled_model_s3` (`[]` walks every element of a list). Updates are
// conditional: a value is only changed while it still equals the URI we expect, so a
// concurrent writer's newer value always wins.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigurationError } from '../../errors/index.js';
import { retryThrottled, type RetryPolicy } from './retry.js';
import type { ReferenceTable } from './types.js';

/** One step of a concrete path: an attribute name or a list index. */
type Step = string | number;

/** One URI found in an item. */
export interface FoundReference {
  /** The table. */
  table: string;
  /** The item's primary key. */
  key: Record<string, unknown>;
  /** The concrete path (`compilation_jobs[0].compiled_model_s3`). */
  path: string;
  /** The value there. */
  value: string;
}

interface PatternStep {
  name: string;
  list: boolean;
}

/** Parses `a[].b` into steps; names may not contain `.`, `[` or `]`. */
export function parseAttributePattern(pattern: string): PatternStep[] {
  const steps = pattern.split('.').map((part) => {
    const m = /^([^.[\]]+)(\[\])?$/.exec(part);
    if (m === null) throw new ConfigurationError('--attribute', 'must be names joined by "." with an optional "[]" after a list, like compilation_jobs[].compiled_model_s3', pattern);
    return { name: m[1]!, list: m[2] !== undefined };
  });
  return steps;
}

/** Formats concrete steps as a path: `compilation_jobs[0].compiled_model_s3`. */
export function formatPath(steps: readonly Step[]): string {
  return steps.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Parses a concrete path back into steps. */
export function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) steps.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return steps;
}

function* valuesAt(value: unknown, pattern: readonly PatternStep[], at: Step[]): Generator<{ steps: Step[]; value: unknown }> {
  if (pattern.length === 0) {
    yield { steps: at, value };
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const [step, ...rest] = pattern as [PatternStep, ...PatternStep[]];
  const child = (value as Record<string, unknown>)[step.name];
  if (!step.list) {
    if (child !== undefined) yield* valuesAt(child, rest, [...at, step.name]);
    return;
  }
  if (!Array.isArray(child)) return;
  for (let i = 0; i < child.length; i++) yield* valuesAt(child[i], rest, [...at, step.name, i]);
}

function expressionFor(steps: readonly Step[]): { expression: string; names: Record<string, string> } {
  const names: Record<string, string> = {};
  let expression = '';
  steps.forEach((s, i) => {
    if (typeof s === 'number') expression += `[${s}]`;
    else {
      names[`#p${i}`] = s;
      expression += `${expression === '' ? '' : '.'}#p${i}`;
    }
  });
  return { expression, names };
}

type DocModule = typeof import('@aws-sdk/lib-dynamodb');

/** DynamoDB access for references: paged scans and conditional updates, with retries. */
export class ReferenceStore {
  private doc: Promise<{ m: DocModule; client: import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient }> | undefined;
  private keyNames = new Map<string, string[]>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly policy: RetryPolicy,
  ) {}

  private documents() {
    this.doc ??= import('@aws-sdk/lib-dynamodb').then((m) => ({
      m,
      client: m.DynamoDBDocumentClient.from(this.client, { marshallOptions: { removeUndefinedValues: true } }),
    }));
    return this.doc;
  }

  private async keySchema(table: string): Promise<string[]> {
    const known = this.keyNames.get(table);
    if (known) return known;
    const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
    const out = await retryThrottled(() => this.client.send(new DescribeTableCommand({ TableName: table })), this.policy);
    const names = (out.Table?.KeySchema ?? []).map((k) => k.AttributeName ?? '');
    this.keyNames.set(table, names);
    return names;
  }

  /** Calls `visit` for every URI-like string at the named attribute paths of every item. */
  async scan(tables: readonly ReferenceTable[], visit: (ref: FoundReference) => void): Promise<void> {
    const { m, client } = await this.documents();
    for (const { table, attributes } of tables) {
      const patterns = attributes.map(parseAttributePattern);
      const keyNames = await this.keySchema(table);
      let start: Record<string, unknown> | undefined;
      do {
        const page = await retryThrottled(
          () => client.send(new m.ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }), { abortSignal: this.policy.signal }),
          this.policy,
        );
        for (const item of page.Items ?? []) {
          const key = Object.fromEntries(keyNames.map((k) => [k, item[k]]));
          for (const pattern of patterns) {
            for (const { steps, value } of valuesAt(item, pattern, [])) {
              if (typeof value === 'string') visit({ table, key, path: formatPath(steps), value });
            }
          }
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
  }

  /** Sets `path` to `to` only while it still equals `from`. Returns whether it changed. */
  async replace(table: string, key: Record<string, unknown>, path: string, from: string, to: string): Promise<boolean> {
    const { m, client } = await this.documents();
    const { expression, names } = expressionFor(parsePath(path));
    try {
      await retryThrottled(
        () =>
          client.send(
            new m.UpdateCommand({
              TableName: table,
              Key: key,
              UpdateExpression: `SET ${expression} = :to`,
              ConditionExpression: `${expression} = :from`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':to': to, ':from': from },
            }),
            { abortSignal: this.policy.signal },
          ),
        this.policy,
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

/** `s3://bucket/key` → key, or `undefined` for another bucket or not a URI. */
export function keyOfUri(uri: string, bucket: string): string | undefined {
  const head = `s3://${bucket}/`;
  return uri.startsWith(head) ? uri.slice(head.length) : undefined;
}
