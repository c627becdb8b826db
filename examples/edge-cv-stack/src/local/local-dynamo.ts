// dynalite on loopback, standing in for DynamoDB (in memory).
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

/** A running dynalite. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Stops the server, dropping open connections so it stops at once. */
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 with tables that become ACTIVE at once. */
export async function startLocalDynamo(port = 0): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
