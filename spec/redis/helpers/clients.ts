import Redis from 'ioredis';
import { createClient } from 'redis';
import type { RedisClient } from '../../../src/redis';

/** The two client libraries the store supports. */
export type ClientKind = 'node-redis' | 'ioredis';

export const CLIENT_KINDS: readonly ClientKind[] = ['node-redis', 'ioredis'];

/** A connected client of either library, with its default (queueing, retrying) settings. */
export interface TestClient {
  readonly client: RedisClient;
  /** Sends a raw command (for assertions on what Redis holds). */
  send(...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Connects a client with its library's defaults: both queue commands while offline. */
export async function connectClient(kind: ClientKind, url: string): Promise<TestClient> {
  if (kind === 'node-redis') {
    const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {});
    await client.connect();
    return {
      client,
      send: (...args) => client.sendCommand(args),
      close: async () => {
        client.destroy();
      },
    };
  }
  const client = new Redis(url, { retryStrategy: () => 50 });
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('end', () => reject(new Error('ioredis did not connect')));
  });
  return {
    client,
    send: (command, ...args) => client.call(command!, ...args),
    close: async () => {
      client.disconnect();
    },
  };
}
