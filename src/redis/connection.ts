import type { Script } from './scripts';

/**
 * The part of a node-redis client (`redis` 5 or 6, `createClient()`) the store uses.
 * A connected client satisfies it as it is.
 */
export interface NodeRedisClient {
  /** Sends one command as an array of strings. */
  sendCommand(args: readonly string[]): Promise<unknown>;
  /** A new client with the same options, not yet connected (the store's subscriber). */
  duplicate(): NodeRedisSubscriber;
}

/** The part of a duplicated node-redis client the store uses for pub/sub. */
export interface NodeRedisSubscriber {
  /** Opens the subscriber's own connection. */
  connect(): Promise<unknown>;
  /** Listens on a channel. */
  subscribe(
    channel: string,
    listener: (message: string, channel: string) => void,
  ): Promise<unknown>;
  /** Hears that the connection is ready again, or failed. */
  on(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** Closes the connection at once. */
  destroy(): void;
}

/**
 * The part of an ioredis client (`new Redis()`, ioredis 5 or 6) the store uses.
 * A client satisfies it as it is.
 */
export interface IoRedisClient {
  /** Sends one command by name with its arguments. */
  call(command: string, ...args: string[]): Promise<unknown>;
  /** ioredis's own script helper: here only to tell an ioredis client from a node-redis one. */
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
  /** A new client with the same options, connecting on its own (the store's subscriber). */
  duplicate(): IoRedisSubscriber;
}

/** The part of a duplicated ioredis client the store uses for pub/sub. */
export interface IoRedisSubscriber {
  /** Listens on a channel. */
  subscribe(channel: string): Promise<unknown>;
  /** Hears that the connection is ready again, failed, or brought a message. */
  on(event: 'ready' | 'error' | 'message', listener: (...args: unknown[]) => void): unknown;
  /** Closes the connection. */
  disconnect(): void;
}

/** A node-redis or an ioredis client: what `redisStore({ client })` takes. */
export type RedisClient = NodeRedisClient | IoRedisClient;

/** What the store needs from either client. @internal */
export interface Connection {
  /** Runs a script by SHA, sending its body when the server does not have it (NOSCRIPT). */
  run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** Sends a plain command. */
  command(args: readonly string[]): Promise<unknown>;
  /**
   * Subscribes to `channel` on a connection of its own. `ready` runs each time that connection
   * is (again) subscribed, so the caller can re-read what it may have missed meanwhile.
   * Returns what closes the subscriber.
   */
  subscribe(channel: string, message: (text: string) => void, ready: () => void): () => void;
}

function isIoRedis(client: RedisClient): client is IoRedisClient {
  return typeof (client as IoRedisClient).call === 'function' && 'defineCommand' in client;
}

/** Whether `value` looks like a client of either library. @internal */
export function isRedisClient(value: unknown): value is RedisClient {
  if (value === null || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  if (typeof c.duplicate !== 'function') return false;
  return (
    (typeof c.call === 'function' && typeof c.defineCommand === 'function') ||
    typeof c.sendCommand === 'function'
  );
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** The one adapter over both clients. @internal */
export function connectionOf(client: RedisClient): Connection {
  const send: (args: readonly string[]) => Promise<unknown> = isIoRedis(client)
    ? ([command, ...rest]) => client.call(command!, ...rest)
    : (args) => client.sendCommand(args);
  return {
    command: send,
    run(script, keys, args) {
      const tail = [String(keys.length), ...keys, ...args];
      return send(['EVALSHA', script.sha, ...tail]).catch((error: unknown) => {
        if (!isNoScript(error)) throw error;
        return send(['EVAL', script.body, ...tail]);
      });
    },
    subscribe: isIoRedis(client)
      ? (channel, message, ready) => subscribeIoRedis(client, channel, message, ready)
      : (channel, message, ready) => subscribeNodeRedis(client, channel, message, ready),
  };
}

const ignore = (): void => {};

function subscribeNodeRedis(
  client: NodeRedisClient,
  channel: string,
  message: (text: string) => void,
  ready: () => void,
): () => void {
  const sub = client.duplicate();
  let closed = false;
  let subscribed = false;
  const listener = (text: string): void => message(text);
  const subscribe = (): void => {
    if (closed) return;
    if (subscribed) {
      // node-redis subscribes again by itself after a reconnect.
      ready();
      return;
    }
    sub.subscribe(channel, listener).then(() => {
      subscribed = true;
      ready();
    }, ignore);
  };
  // An 'error' event without a listener would be thrown; the store learns of outages from its
  // own commands, so the subscriber's errors are dropped here.
  sub.on('error', ignore);
  sub.on('ready', subscribe);
  sub.connect().catch(ignore);
  return () => {
    closed = true;
    try {
      sub.destroy();
    } catch {
      // already closed
    }
  };
}

function subscribeIoRedis(
  client: IoRedisClient,
  channel: string,
  message: (text: string) => void,
  ready: () => void,
): () => void {
  const sub = client.duplicate();
  // Subscribed to this one channel only; ioredis subscribes again by itself after a reconnect.
  const subscribe = (): void => {
    sub.subscribe(channel).then(ready, ignore);
  };
  sub.on('error', ignore);
  sub.on('message', (_channel, text) => message(String(text)));
  sub.on('ready', subscribe);
  return () => {
    try {
      sub.disconnect();
    } catch {
      // already closed
    }
  };
}
