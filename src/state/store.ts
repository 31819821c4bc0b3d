import type { BreakerSnapshot } from './snapshot';
import type { TransitionOrigin } from './state';

/**
 * Where breakers keep their {@link BreakerSnapshot}: the config field `store`. The default keeps
 * each breaker's snapshot in memory; `redisStore()` from `rxjs-fluxgate/redis` shares it between
 * processes. One store serves any number of breakers, each connected once by its constructor.
 *
 * A store never decides anything: the breaker computes every transition through its table and
 * hands the result to {@link StoreSession.write}; the store keeps it, shares it, and says which
 * snapshots the breaker should announce, through {@link StoreClient.changed}.
 */
export interface StateStore {
  /** Connects one breaker. Called once, by the breaker's constructor. */
  connect(client: StoreClient): StoreSession;
}

/** What a breaker tells its store when it connects, and how the store talks back. */
export interface StoreClient {
  /** The breaker's name; breakers of one name share their state. */
  readonly name: string;
  /**
   * The snapshot the breaker starts from (a new breaker's, or `config.initialState`). A shared
   * store that already holds a state for this name adopts that one instead.
   */
  readonly initial: BreakerSnapshot;
  /** Trial calls allowed in flight at once in `half_open`, across everyone sharing the store. */
  readonly maxHalfOpenCalls: number;
  /** Longest a trial slot may be held (ms; `Infinity` allowed): a store's leases end by then. */
  readonly maxHalfOpenDuration: number;
  /** The breaker's clock (its scheduler's `now()`), in which every snapshot's times are read. */
  now(): number;
  /**
   * Announces a snapshot: the breaker emits the transition from the state it last announced.
   * `'local'` for a snapshot this breaker wrote (the store calls it once the write is settled:
   * at once in memory, when Redis answers for a shared store); `'remote'` for one the store
   * adopted from elsewhere, which the breaker applies (window cleared, trials dropped) as well.
   */
  changed(snapshot: BreakerSnapshot, origin: TransitionOrigin): void;
  /** Reports a failure of the store itself (source `'store'` in `onError`). */
  report(error: unknown): void;
}

/** One breaker's connection to its store. Every method is synchronous and never throws. */
export interface StoreSession {
  /** The current snapshot, from a local copy: no round trip. */
  read(): BreakerSnapshot;
  /**
   * Makes `next` (the result of a transition from the current snapshot) current at once, so the
   * next admission sees it, and calls {@link StoreClient.changed} for it when it is settled. A
   * shared store that finds another process moved first adopts that process's snapshot instead.
   */
  write(next: BreakerSnapshot): void;
  /** Takes a trial slot for a call in `half_open` of `generation`; false when none is free. */
  acquireTrial(generation: number): boolean;
  /** Gives back a trial slot taken in `generation` (ignored once the generation has passed). */
  releaseTrial(generation: number): void;
  /** Ends the connection: timers stopped, subscriptions closed. */
  close(): void;
}

/** The default {@link StateStore}: each breaker's snapshot in memory, nothing shared. */
export function memoryStore(): StateStore {
  return { connect: connectInMemory };
}

function connectInMemory(client: StoreClient): StoreSession {
  let current = client.initial;
  let trials = 0;
  return {
    read: () => current,
    write(next) {
      current = next;
      trials = 0;
      client.changed(next, 'local');
    },
    acquireTrial(generation) {
      if (generation !== current.generation || trials >= client.maxHalfOpenCalls) return false;
      trials++;
      return true;
    },
    releaseTrial(generation) {
      if (generation === current.generation && trials > 0) trials--;
    },
    close() {},
  };
}
