import type { StateStore } from 'rxjs-fluxgate';
import * as check from '../internal/validate';
import { connectionOf, isRedisClient, type RedisClient } from './connection';
import { SharedStore } from './shared-store';

/** The options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** A connected node-redis (`redis` 5 or 6) or ioredis client; the store never closes it. */
  readonly client: RedisClient;
  /** Starts every key and the pub/sub channel; no `{` or `}`. Default `'fluxgate'`. */
  readonly prefix?: string;
  /** How long any store operation may take before Redis counts as unreachable (ms). Default 250. */
  readonly timeoutMs?: number;
  /** How long a half-open trial slot is leased before it returns by itself (ms). Default 30 000. */
  readonly leaseMs?: number;
  /** Keys expire this long after their last write or refresh (ms, `>= leaseMs`). Default one day. */
  readonly ttlMs?: number;
  /**
   * How often each breaker re-reads the shared state, to catch a push lost while the subscriber
   * reconnected, to refresh its key's expiry and to notice that Redis is back (ms, less than half
   * of `ttlMs`). Default 1000.
   */
  readonly syncMs?: number;
}

/** A {@link StateStore} shared through Redis, as {@link redisStore} makes it. */
export interface RedisStateStore extends StateStore {
  /** The key prefix. */
  readonly prefix: string;
  /**
   * Re-reads the shared state of every breaker connected here and resolves once each has caught
   * up (or found Redis unreachable). Never rejects; at most a few `timeoutMs` long.
   */
  sync(): Promise<void>;
}

const KEYS = ['client', 'prefix', 'timeoutMs', 'leaseMs', 'ttlMs', 'syncMs'] as const;
const WHERE = 'redisStore(options)';

/**
 * Shares breaker state between processes through Redis (SPEC section 7): every breaker of the
 * same name and prefix, in any process, follows one state.
 *
 * Admission never waits on Redis: each breaker decides from a local copy, writes transitions
 * with a compare-and-set on the shared generation, follows the others through pub/sub (and a
 * periodic re-read), leases half-open trial slots ahead of the calls that use them, and decides
 * alone while Redis is unreachable.
 *
 * ## Example
 * ```ts
 * import { createClient } from 'redis';
 * import { CircuitBreaker } from 'rxjs-fluxgate';
 * import { redisStore } from 'rxjs-fluxgate/redis';
 *
 * const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * const shared = redisStore({ client, prefix: 'myapp' });
 * const breaker = new CircuitBreaker({ name: 'payments', store: shared });
 * ```
 *
 * @param options See {@link RedisStoreOptions}; `client` is required.
 * @return The store, for the `store` field of any number of breakers.
 * @throws TypeError or RangeError naming the option, when an option is not valid.
 */
export function redisStore(options: RedisStoreOptions): RedisStateStore {
  const o = check.requiredOptions<RedisStoreOptions>(WHERE, options, KEYS);
  if (!isRedisClient(o.client)) {
    throw new TypeError(
      `${WHERE}.client: expected a node-redis or ioredis client, got ${check.describe(o.client)}`,
    );
  }
  const prefix = o.prefix === undefined ? 'fluxgate' : check.name(`${WHERE}.prefix`, o.prefix);
  if (/[{}]/.test(prefix)) {
    throw new TypeError(`${WHERE}.prefix: expected no '{' or '}', got ${check.describe(prefix)}`);
  }
  const timeoutMs = duration('timeoutMs', o.timeoutMs, 250);
  const leaseMs = duration('leaseMs', o.leaseMs, 30_000);
  const ttlMs = o.ttlMs === undefined ? 86_400_000 : duration('ttlMs', o.ttlMs, 0);
  if (ttlMs < leaseMs) {
    throw new RangeError(`${WHERE}.ttlMs: expected a number >= leaseMs (${leaseMs}), got ${ttlMs}`);
  }
  const syncMs = duration('syncMs', o.syncMs, Math.min(1000, ttlMs / 4));
  if (syncMs >= ttlMs / 2) {
    throw new RangeError(
      `${WHERE}.syncMs: expected a number < ttlMs / 2 (${ttlMs / 2}), got ${syncMs}`,
    );
  }
  return new SharedStore(connectionOf(o.client), { prefix, timeoutMs, leaseMs, ttlMs, syncMs });
}

function duration(key: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : check.positiveDuration(`${WHERE}.${key}`, value);
}
