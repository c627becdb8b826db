// The packaging report in DynamoDB: one item per component version in the models table
// (`model_id` = `<component>@<version>`), so the portal finds which bytes each version shipped
// without reading S3. Each target's row carries the artifact's URI (`artifact_s3`, the attribute
// the layout migration rewrites), its SHA-256 in hex and base64, its size and its digest file.
// The item is the latest run's report for that version; the digests cannot change between runs,
// because the artifacts are written once.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Where reports are recorded. */
export interface ReportTable {
  /** Document client (dynalite locally). */
  client: DynamoDBDocumentClient;
  /** The models table (`MODELS_TABLE`), keyed by `model_id`. */
  table: string;
}

/** One target of a recorded report. */
export interface RecordedTarget {
  target: string;
  status: string;
  /** `s3://` URI of the zip. */
  uri?: string;
  sha256?: string;
  sha256Base64?: string;
  bytes?: number;
  digestUri?: string;
  /** False when a repeated run found the same bytes published and wrote nothing. */
  written?: boolean;
  componentName?: string;
  error?: string;
}

/** What is recorded. */
export interface RecordedReport {
  componentName: string;
  componentVersion: string;
  status: string;
  targets: RecordedTarget[];
  /** The report object in S3, when there is one (the workflow's). */
  reportUri?: string;
  /** The Step Functions execution, when the workflow ran. */
  executionName?: string;
}

/** The item's key. */
export function reportItemId(componentName: string, componentVersion: string): string {
  return `${componentName}@${componentVersion}`;
}

/** The DynamoDB item of `report` (snake_case attributes, as the table's other items). */
export function reportItem(report: RecordedReport): Record<string, unknown> {
  return {
    model_id: reportItemId(report.componentName, report.componentVersion),
    record_type: 'packaging-report',
    component_name: report.componentName,
    component_version: report.componentVersion,
    status: report.status,
    ...(report.reportUri ? { report_s3: report.reportUri } : {}),
    ...(report.executionName ? { execution_name: report.executionName } : {}),
    targets: report.targets.map((t) => ({
      target: t.target,
      status: t.status,
      artifact_s3: t.uri,
      sha256: t.sha256,
      sha256_base64: t.sha256Base64,
      bytes: t.bytes,
      digest_s3: t.digestUri,
      written: t.written,
      component_name: t.componentName,
      error: t.error,
    })),
  };
}

/** Writes the report's item (undefined attributes left out, at every depth). */
export async function recordReport(table: ReportTable, report: RecordedReport): Promise<void> {
  const item = JSON.parse(JSON.stringify(reportItem(report))) as Record<string, unknown>;
  await table.client.send(new PutCommand({ TableName: table.table, Item: item }));
}
