// Where the demo runs: the two things that differ between the local mode and AWS are how a cold
// start is forced and where the evidence comes from. Everything else goes through the HTTP API.
import { routeUrl } from './api-client.js';

/** One file of the evidence bundle. */
export interface EvidenceFile {
  /** File name inside the bundle. */
  name: string;
  /** What it shows, for summary.md. */
  description: string;
  /** Its content (written as pretty JSON, or as is when a string). */
  content: unknown;
}

/** The environment the demo talks to. */
export interface DemoTarget {
  /** `local` or `aws`. */
  kind: 'local' | 'aws';
  /** Makes the consumer's next invocation a cold start; returns how it did that, for the record. */
  forceConsumerColdStart(): Promise<string>;
  /** Gathers configuration, logs and listings after the runs. */
  gatherEvidence(since: Date): Promise<EvidenceFile[]>;
}

/** The local mode: /_local/ routes of the API server. */
export function localTarget(endpoint: string): DemoTarget {
  return {
    kind: 'local',
    async forceConsumerColdStart() {
      const response = await fetch(routeUrl(endpoint, '/_local/recycle?function=consumer'), { method: 'POST' });
      if (!response.ok) throw new Error(`recycling the consumer failed: ${response.status} ${await response.text()}`);
      return 'local mode: the consumer handler module was dropped and is imported fresh by the next request';
    },
    async gatherEvidence() {
      const response = await fetch(routeUrl(endpoint, '/_local/facts'));
      if (!response.ok) throw new Error(`reading /_local/facts failed: ${response.status}; is ${endpoint} the local mode?`);
      const facts = (await response.json()) as Record<string, unknown> & { logs?: Record<string, string[]>; outputs?: unknown };
      const logs = facts.logs ?? {};
      return [
        { name: 'lambda-configuration.json', description: 'both functions: handler, environment, file system (mount) configuration, invocation counts', content: facts.functions },
        { name: 'access-point.json', description: 'the folder standing in for the EFS access point', content: facts.accessPoint },
        { name: 'logs-producer.jsonl', description: 'recent structured log lines of the producer', content: (logs.producer ?? []).join('\n') + '\n' },
        { name: 'logs-consumer.jsonl', description: 'recent structured log lines of the consumer', content: (logs.consumer ?? []).join('\n') + '\n' },
        { name: 'outputs-listing.json', description: 'outputs/ on the mount and in the bucket', content: facts.outputs },
        { name: 'local-stack.json', description: 'bucket, tables and endpoints of the local parts', content: { bucket: facts.bucket, tables: facts.tables } },
      ];
    },
  };
}
