import type { StoreClient, StoreSession } from 'rxjs-fluxgate';
import * as check from '../internal/validate';
import type { Connection } from './connection';
import type { Script } from './scripts';
import { Session } from './session';
import type { RedisStateStore } from './store';

/** Longest breaker name the store accepts (it goes into two keys and every message). */
const MAX_NAME_LENGTH = 1024;

/** The checked options of a store, as {@link redisStore} fills them in. */
export interface Settings {
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly leaseMs: number;
  readonly ttlMs: number;
  readonly syncMs: number;
}

/** A script's reply: its status, the server's time, and whatever followed. */
export interface Reply {
  readonly status: string;
  readonly now: number;
  readonly rest: readonly string[];
}

/** A store command's timeout, a reason distinct from Redis's own errors. */
class StoreTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`rxjs-fluxgate/redis: ${what} got no answer from Redis within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * What every breaker connected to one store shares: the connection to Redis (commands with a time
 * limit, the pub/sub channel) and the periodic re-read.
 */
export class SharedStore implements RedisStateStore {
  readonly prefix: string;
  readonly channel: string;
  private readonly sessions = new Set<Session>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** The server's clock minus `Date.now()`, estimated from the last reply (for deadlines). */
  private offset = 0;

  constructor(
    readonly connection: Connection,
    readonly settings: Settings,
  ) {
    this.prefix = settings.prefix;
    this.channel = `${settings.prefix}:transitions`;
  }

  connect(client: StoreClient): StoreSession {
    if (client.name.length > MAX_NAME_LENGTH) {
      throw new RangeError(
        `redisStore: breaker name: expected at most ${MAX_NAME_LENGTH} characters, got ${client.name.length}`,
      );
    }
    const session = new Session(this, client);
    if (this.sessions.size === 0) this.start();
    this.sessions.add(session);
    session.sync();
    return session;
  }

  sync(): Promise<void> {
    return Promise.all([...this.sessions].map((s) => s.sync())).then(() => undefined);
  }

  detach(session: Session): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) this.stop();
  }

  /**
   * Runs a script with a time limit; resolves with its reply, rejects on an error, a timeout or
   * a malformed reply. `settled` runs when the client itself settles the command, which after a
   * timeout may be much later (or, for a client that queues while offline, at the reconnect).
   *
   * Nothing here queues: each breaker bounds what it leaves with the client. While Redis is
   * unreachable it sends only its periodic read, and only while fewer than
   * MAX_UNSETTLED_READS of them are unsettled; writes, leases and releases wait for an answer.
   */
  run(
    script: Script,
    what: string,
    keys: readonly string[],
    args: readonly string[],
    settled?: () => void,
  ): Promise<Reply> {
    const sentAt = Date.now();
    return this.bounded(what, () => this.connection.run(script, keys, args), settled)
      .then(parseReply)
      .then((reply) => {
        this.offset = reply.now - (sentAt + Date.now()) / 2;
        return reply;
      });
  }

  /** Sends a plain command with a time limit (used for releasing slots; the reply is unused). */
  command(what: string, args: readonly string[]): Promise<unknown> {
    return this.bounded(what, () => this.connection.command(args));
  }

  /**
   * The server's time by which a command sent now must have run. Every command that carries one
   * is sent after a read has answered, so the offset is known by then.
   */
  deadline(): number {
    return Date.now() + this.offset + this.settings.timeoutMs;
  }

  private bounded<T>(what: string, send: () => Promise<T>, done?: () => void): Promise<T> {
    const ms = this.settings.timeoutMs;
    let sent: Promise<T>;
    try {
      sent = send();
    } catch (error) {
      sent = Promise.reject(error);
    }
    const settled = sent.then(
      (value) => {
        done?.();
        return value;
      },
      (error: unknown) => {
        done?.();
        throw error;
      },
    );
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreTimeoutError(what, ms)), ms);
      timer.unref?.();
      settled.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private start(): void {
    this.timer = setInterval(() => {
      for (const s of this.sessions) s.sync();
    }, this.settings.syncMs);
    this.timer.unref?.();
    this.unsubscribe = this.connection.subscribe(
      this.channel,
      (text) => this.message(text),
      () => void this.sync(),
    );
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** A published transition: `now`, the snapshot's six fields, then the name (which may hold anything). */
  private message(text: string): void {
    const parts: string[] = [];
    let from = 0;
    for (let i = 0; i < 7; i++) {
      const end = text.indexOf('\n', from);
      if (end < 0) return;
      parts.push(text.slice(from, end));
      from = end + 1;
    }
    const name = text.slice(from);
    for (const s of this.sessions) {
      if (s.name !== name) continue;
      const shared = s.parse(Number(parts[0]), parts.slice(1));
      if (shared) s.pushed(shared);
    }
  }
}

function parseReply(value: unknown): Reply {
  if (
    !Array.isArray(value) ||
    !value.every((v) => typeof v === 'string') ||
    !Number.isFinite(Number(value[1]))
  ) {
    throw new TypeError(
      `rxjs-fluxgate/redis: unexpected reply from Redis: ${check.describe(value)}`,
    );
  }
  const [status, now, ...rest] = value as string[];
  return { status: status!, now: Number(now), rest };
}
