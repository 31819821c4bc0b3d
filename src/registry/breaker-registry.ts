import { BehaviorSubject, Subject, defer, type Observable } from 'rxjs';
import { CircuitBreaker } from '../breaker/circuit-breaker';
import { resolveConfig, type CircuitBreakerConfig } from '../breaker/config';
import * as check from '../internal/validate';
import type { State, Transition } from '../state/state';

/** Options of a {@link BreakerRegistry}. */
export interface BreakerRegistryOptions {
  /** The config of every breaker the registry makes (its `name` is ignored: the key names it). */
  readonly defaults?: CircuitBreakerConfig;
  /** Per-name overrides, merged over `defaults` field by field (a field given here replaces it). */
  readonly configs?: Readonly<Record<string, CircuitBreakerConfig>>;
}

/**
 * Named breakers made on first use: one per backend, per route or per tenant, with a shared
 * default policy and per-name overrides.
 *
 * ## Example
 * ```ts
 * const registry = new BreakerRegistry({
 *   defaults: { tripper: trippers.failureStreak(5) },
 *   configs: { payments: { retry: retries.backoff({ initial: 10_000 }) } },
 * });
 * registry.states$.subscribe((states) => console.log(states));
 * http$.pipe(circuitBreaker(registry.get('payments')));
 * // Output: {} then { payments: 'closed' }
 * ```
 */
export class BreakerRegistry {
  /**
   * The state of every breaker, keyed by name: the current record on subscribe, then a new record
   * on every change of any breaker and on every creation.
   */
  readonly states$: Observable<Readonly<Record<string, State>>>;
  /** The transitions of every breaker, present and future. */
  readonly transitions$: Observable<Transition>;

  private readonly defaults: CircuitBreakerConfig;
  private readonly configs: Readonly<Partial<Record<string, CircuitBreakerConfig>>>;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly states = new BehaviorSubject<Readonly<Record<string, State>>>({});
  /** The current state of every breaker, copied into `states` only when someone subscribes. */
  private readonly current: Record<string, State> = Object.create(null) as Record<string, State>;
  private stale = false;
  private readonly transitions = new Subject<Transition>();

  /**
   * @param options `defaults` and `configs`; each is checked now, so a bad config fails here and
   *   not at the first call.
   */
  constructor(options?: BreakerRegistryOptions) {
    const opts = check.options<BreakerRegistryOptions>('BreakerRegistry(options)', options);
    for (const key of Object.keys(opts)) {
      if (key !== 'defaults' && key !== 'configs') {
        throw new TypeError(
          `BreakerRegistry(options): unknown option "${key}" (expected defaults or configs)`,
        );
      }
    }
    this.defaults = check.options<CircuitBreakerConfig>(
      'BreakerRegistry(options).defaults',
      opts.defaults,
    );
    this.configs = check.options<Record<string, CircuitBreakerConfig>>(
      'BreakerRegistry(options).configs',
      opts.configs,
    );
    for (const [name, config] of Object.entries(this.configs)) {
      resolveConfig(
        this.merged(name, check.options(`BreakerRegistry(options).configs.${name}`, config)),
      );
    }
    resolveConfig(this.merged('default', {}));
    this.states$ = defer(() => {
      if (this.stale) {
        this.stale = false;
        this.states.next({ ...this.current });
      }
      return this.states;
    });
    this.transitions$ = this.transitions.asObservable();
  }

  /**
   * The breaker named `name`, made from `defaults` and `configs[name]` on first use.
   *
   * @param name A non-empty string; it becomes the breaker's name.
   * @return The same breaker for the same name, every time.
   */
  get(name: string): CircuitBreaker {
    const existing = this.breakers.get(name);
    if (existing) return existing;
    check.name('BreakerRegistry.get(name)', name);
    const breaker = new CircuitBreaker(
      this.merged(name, Object.hasOwn(this.configs, name) ? this.configs[name] : undefined),
    );
    this.breakers.set(name, breaker);
    breaker.transitions$.subscribe((t) => {
      this.current[name] = t.to;
      this.publish();
      this.transitions.next(t);
    });
    this.current[name] = breaker.state;
    this.publish();
    return breaker;
  }

  /** Whether a breaker named `name` has been made. */
  has(name: string): boolean {
    return this.breakers.has(name);
  }

  /** The names of the breakers made so far, in order of creation. */
  names(): string[] {
    return [...this.breakers.keys()];
  }

  /** Emits a copy of the states to the subscribers; with none, copies nothing until one comes. */
  private publish(): void {
    this.stale = !this.states.observed;
    if (!this.stale) this.states.next({ ...this.current });
  }

  private merged(name: string, config: CircuitBreakerConfig | undefined): CircuitBreakerConfig {
    return { ...this.defaults, ...config, name };
  }
}
