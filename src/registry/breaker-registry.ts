import { Observable, Subject, type Subscription } from 'rxjs';
import { CircuitBreaker } from '../breaker/circuit-breaker';
import { resolveConfig, type CircuitBreakerConfig } from '../breaker/config';
import * as check from '../internal/validate';
import type { State, Transition } from '../state/state';
import { StateLog } from './state-record';

/** Options of a {@link BreakerRegistry}. */
export interface BreakerRegistryOptions {
  /** The config of every breaker the registry makes (its `name` is ignored: the key names it). */
  readonly defaults?: CircuitBreakerConfig;
  /**
   * Per-name overrides, merged over `defaults` field by field (a field given here replaces it).
   * The breakers of these names are always kept: they never count against `maxBreakers` and are
   * never evicted (only {@link BreakerRegistry.delete} removes one).
   */
  readonly configs?: Readonly<Record<string, CircuitBreakerConfig>>;
  /**
   * How many breakers of names not in `configs` the registry keeps, an integer `> 0` or
   * `Infinity` (no bound). Default `1000`. Past it, making a new one first evicts the least
   * recently used idle breaker (see {@link BreakerRegistry}).
   */
  readonly maxBreakers?: number;
}

const OPTION_KEYS = ['defaults', 'configs', 'maxBreakers'] as const;

/** The default of {@link BreakerRegistryOptions.maxBreakers}. */
const DEFAULT_MAX_BREAKERS = 1000;

/**
 * How many breakers one creation looks at, from the least recently used, for one to evict. Busy
 * ones it passes over move to the most recently used end, so the next creation looks further.
 */
const EVICTION_PROBES = 16;

/** One breaker the registry keeps. */
interface Entry {
  readonly name: string;
  readonly breaker: CircuitBreaker;
  /** Counts against `maxBreakers` (its name is not in `configs`). */
  readonly bounded: boolean;
  subscription: Subscription | undefined;
  /** Links of the eviction queue, which holds the bounded breakers that are `closed`. */
  older: Entry | undefined;
  newer: Entry | undefined;
  queued: boolean;
}

type StatesRecord = Readonly<Record<string, State>>;

/**
 * Named breakers made on first use: one per backend, per route or per tenant, with a shared
 * default policy and per-name overrides.
 *
 * **Bounded.** Breakers keyed by something open-ended (an origin, a tenant) would otherwise pile
 * up for ever. The registry keeps at most `maxBreakers` (default 1000) breakers of names not in
 * `configs`. When a new one would exceed that, the least recently used (by {@link BreakerRegistry.get}) breaker
 * that is idle is evicted first: removed and disposed, so its metrics go with it. Idle means
 * `closed`, with no failure in its window and no failure streak. Eviction never touches a breaker
 * that is counting failures, open, half-open or in a manual state, nor a name in `configs`, so a
 * flood of one-off names cannot flush the breakers that hold information.
 *
 * When no breaker can be evicted (one creation looks at the 16 least recently used closed
 * breakers; busy ones it passes over count as used), the registry stays at its bound: `get`
 * returns a new breaker of that name that is **not kept** (not in `names()`, `states$` or the
 * metrics, already disposed, judging its calls alone), and the registry reports it once, to
 * `console.error`, until it has room again. Calls keep flowing; memory stays bounded.
 *
 * An evicted breaker still works for whoever holds it, but the registry forgets it: take the
 * breaker from `get` for each use (as the Angular interceptor does), or name long-lived breakers
 * in `configs`.
 *
 * ## Example
 * ```ts
 * const registry = new BreakerRegistry({
 *   defaults: { tripper: trippers.failureStreak(5) },
 *   configs: { payments: { retry: retries.backoff({ initial: 10_000 }) } },
 *   maxBreakers: 500,
 * });
 * registry.states$.subscribe((states) => console.log(states));
 * http$.pipe(circuitBreaker(registry.get('payments')));
 * // Output: {} then { payments: 'closed' }
 * ```
 */
export class BreakerRegistry {
  /**
   * The state of every breaker, keyed by name: the current record on subscribe (the same object
   * to every subscriber while nothing changes), then a new record on every change of any breaker,
   * every creation and every removal, in the same order for every subscriber.
   *
   * Each record is read-only and keeps describing the states at its emission, however long it is
   * kept; consecutive records are distinct objects. A transition or a creation costs O(1)
   * whatever the registry holds: a record is a `Proxy` over one version of a log of changes, not
   * a copy. The newest record reads the live states; an older one reads back through the changes
   * made since it (copied once, on first enumeration). Spread one (`{ ...states }`) for a plain
   * object.
   */
  readonly states$: Observable<StatesRecord>;
  /** The transitions of every breaker, present and future. */
  readonly transitions$: Observable<Transition>;
  /**
   * Every breaker the registry holds on subscribe, then each one it makes. A breaker leaves the
   * registry when it is deleted, evicted or disposed: its `transitions$` completes then.
   */
  readonly breakers$: Observable<CircuitBreaker>;

  private readonly defaults: CircuitBreakerConfig;
  private readonly configs: Readonly<Partial<Record<string, CircuitBreakerConfig>>>;
  private readonly maxBreakers: number;
  private readonly entries = new Map<string, Entry>();
  /** How many kept breakers count against `maxBreakers`. */
  private bounded = 0;
  /** The eviction queue: closed bounded breakers, least recently used first. */
  private oldest: Entry | undefined;
  private newest: Entry | undefined;
  /** Whether "full" has been reported since the registry last had room. */
  private reportedFull = false;
  private readonly log = new StateLog();
  private readonly stateChanges = new Subject<StatesRecord>();
  private readonly queue: StatesRecord[] = [];
  /** The record being delivered to `states$`' subscribers, while one is. */
  private delivering: StatesRecord | undefined;
  private readonly transitions = new Subject<Transition>();
  private readonly created = new Subject<CircuitBreaker>();

  /**
   * @param options `defaults`, `configs` and `maxBreakers`; each is checked now, so a bad config
   *   fails here and not at the first call.
   * @throws TypeError or RangeError naming the option, for a bad or unknown option.
   */
  constructor(options?: BreakerRegistryOptions) {
    const where = 'BreakerRegistry(options)';
    const opts = check.options<BreakerRegistryOptions>(where, options, OPTION_KEYS);
    this.defaults = check.options<CircuitBreakerConfig>(`${where}.defaults`, opts.defaults);
    this.configs = check.options<Record<string, CircuitBreakerConfig>>(
      `${where}.configs`,
      opts.configs,
    );
    this.maxBreakers =
      opts.maxBreakers === undefined
        ? DEFAULT_MAX_BREAKERS
        : opts.maxBreakers === Infinity
          ? Infinity
          : check.positiveInteger(`${where}.maxBreakers`, opts.maxBreakers);
    for (const [name, config] of Object.entries(this.configs)) {
      resolveConfig(this.merged(name, check.options(`${where}.configs.${name}`, config)));
    }
    resolveConfig(this.merged('default', {}));
    this.states$ = new Observable<StatesRecord>((subscriber) => {
      const first = this.delivering ?? this.log.record();
      subscriber.next(first);
      if (subscriber.closed) return undefined;
      const subscription = this.stateChanges.subscribe(subscriber);
      // A change made by the subscriber's own first callback reached everyone but it.
      if (this.delivering === undefined) {
        const now = this.log.record();
        if (now !== first) subscriber.next(now);
      }
      return subscription;
    });
    this.transitions$ = this.transitions.asObservable();
    this.breakers$ = new Observable<CircuitBreaker>((subscriber) => {
      const present = [...this.entries.values()];
      const subscription = this.created.subscribe(subscriber);
      for (const entry of present) {
        if (subscriber.closed) break;
        if (this.entries.get(entry.name) === entry) subscriber.next(entry.breaker);
      }
      return subscription;
    });
  }

  /**
   * The breaker named `name`, made from `defaults` and `configs[name]` on first use. Each call
   * marks it as used, for eviction. O(1).
   *
   * @param name A non-empty string; it becomes the breaker's name.
   * @return The same breaker for the same name while the registry keeps it.
   * @throws TypeError when `name` is not a non-empty string.
   */
  get(name: string): CircuitBreaker {
    const existing = this.entries.get(name);
    if (existing !== undefined) {
      if (existing.queued && existing !== this.newest) {
        this.unqueue(existing);
        this.enqueue(existing);
      }
      return existing.breaker;
    }
    check.name('BreakerRegistry.get(name)', name);
    const configured = Object.hasOwn(this.configs, name);
    const config = this.merged(name, configured ? this.configs[name] : undefined);
    if (!configured && this.bounded >= this.maxBreakers) {
      if (!this.evictOne()) return this.unkept(name, config);
      // Disposing the evicted breaker ran its subscribers' code, which may have made this name.
      const made = this.entries.get(name);
      if (made !== undefined) return made.breaker;
    }
    this.reportedFull = false;
    return this.keep(name, new CircuitBreaker(config), !configured);
  }

  /** Whether the registry holds a breaker named `name`. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The names of the breakers the registry holds, in order of creation. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Removes the breaker named `name` and disposes it (its streams complete, its metrics go), a
   * name in `configs` included. The next `get(name)` makes a new breaker. O(1).
   *
   * @param name The breaker's name.
   * @return Whether there was such a breaker.
   */
  delete(name: string): boolean {
    const entry = this.entries.get(name);
    if (entry === undefined) return false;
    this.remove(entry);
    entry.breaker.dispose();
    return true;
  }

  private keep(name: string, breaker: CircuitBreaker, bounded: boolean): CircuitBreaker {
    const entry: Entry = {
      name,
      breaker,
      bounded,
      subscription: undefined,
      older: undefined,
      newer: undefined,
      queued: false,
    };
    this.entries.set(name, entry);
    if (bounded) {
      this.bounded++;
      if (breaker.state === 'closed') this.enqueue(entry);
    }
    this.log.set(name, breaker.state);
    entry.subscription = breaker.transitions$.subscribe({
      next: (t) => this.changed(entry, t),
      // Disposed by its owner: the registry lets it go.
      complete: () => this.remove(entry),
    });
    this.publish();
    this.created.next(breaker);
    return breaker;
  }

  private changed(entry: Entry, t: Transition): void {
    this.log.set(entry.name, t.to);
    if (entry.bounded) {
      // A transition always changes the state: to closed, the breaker was not queued.
      if (t.to === 'closed') this.enqueue(entry);
      else this.unqueue(entry);
    }
    this.publish();
    this.transitions.next(t);
  }

  /** Forgets `entry` (the caller disposes the breaker if it must). */
  private remove(entry: Entry): void {
    this.entries.delete(entry.name);
    if (entry.bounded) {
      this.bounded--;
      this.unqueue(entry);
    }
    entry.subscription?.unsubscribe();
    entry.subscription = undefined;
    this.log.set(entry.name, undefined);
    this.publish();
  }

  /**
   * Evicts the least recently used idle breaker, looking at {@link EVICTION_PROBES} at most.
   * @return Whether one was evicted.
   */
  private evictOne(): boolean {
    for (let probe = 0; probe < EVICTION_PROBES; probe++) {
      const entry = this.oldest;
      if (entry === undefined) return false;
      if (idle(entry.breaker)) {
        this.remove(entry);
        entry.breaker.dispose();
        return true;
      }
      // Counting failures: it is in use, so it goes to the back of the queue.
      this.unqueue(entry);
      this.enqueue(entry);
    }
    return false;
  }

  /** A breaker for `name` that the registry does not keep, when it is full of busy breakers. */
  private unkept(name: string, config: CircuitBreakerConfig): CircuitBreaker {
    if (!this.reportedFull) {
      this.reportedFull = true;
      console.error(
        `rxjs-fluxgate: BreakerRegistry holds maxBreakers (${this.maxBreakers}) breakers and none ` +
          `of them is idle (closed, with no failure counted), so "${name}" gets a breaker it does ` +
          `not keep (reported once until the registry has room). Raise maxBreakers, name ` +
          `long-lived breakers in configs, or delete() names no longer used.`,
      );
    }
    const breaker = new CircuitBreaker(config);
    breaker.dispose();
    return breaker;
  }

  private enqueue(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
    entry.queued = true;
  }

  private unqueue(entry: Entry): void {
    if (!entry.queued) return;
    if (entry.older === undefined) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = entry.newer = undefined;
    entry.queued = false;
  }

  /**
   * Delivers the current record to `states$`' subscribers, in order: a change made by a
   * subscriber while a record is being delivered is delivered after it, to everyone.
   */
  private publish(): void {
    if (!this.stateChanges.observed) return;
    this.queue.push(this.log.record());
    if (this.delivering !== undefined) return;
    try {
      for (let r = this.queue.shift(); r !== undefined; r = this.queue.shift()) {
        this.delivering = r;
        this.stateChanges.next(r);
      }
    } finally {
      this.delivering = undefined;
      this.queue.length = 0;
    }
  }

  private merged(name: string, config: CircuitBreakerConfig | undefined): CircuitBreakerConfig {
    return { ...this.defaults, ...config, name };
  }
}

/** Closed, no failure in its window and no failure streak: nothing would be lost by evicting it. */
function idle(breaker: CircuitBreaker): boolean {
  // With a shared store a breaker can have moved before its transition is announced.
  if (breaker.state !== 'closed') return false;
  const info = breaker.info();
  return info.consecutiveFailures === 0 && info.metrics.failureCount === 0;
}
