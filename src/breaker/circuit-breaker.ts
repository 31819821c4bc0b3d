import {
  BehaviorSubject,
  Observable,
  Subject,
  distinctUntilChanged,
  from,
  type ObservableInput,
  type Subscription,
} from 'rxjs';
import type { Metrics, WindowStore } from '../components/window';
import { CallNotPermittedError } from '../errors';
import * as check from '../internal/validate';
import { passError, subscribeCall, type CallPlan } from '../operators/call';
import { initialSnapshot, type BreakerSnapshot } from '../state/snapshot';
import type { State, Transition, TransitionOrigin } from '../state/state';
import type { StoreSession } from '../state/store';
import { advance, clearsStreak, type TransitionKind } from '../state/transitions';
import { Clock } from './clock';
import {
  resolveConfig,
  type CircuitBreakerConfig,
  type FaultSource,
  type ResolvedConfig,
} from './config';
import type { BreakerEvent } from './events';
import { PASS_THROUGH } from './protocol';
import { savedState, type SavedState } from './saved-state';

/** What {@link CircuitBreaker.info} reports. */
export interface CircuitBreakerInfo {
  /** The breaker's name. */
  readonly name: string;
  /** The current state. */
  readonly state: State;
  /** When the current state was entered (scheduler time, ms). */
  readonly changedAt: number;
  /** Half-open to open transitions since the breaker was last closed. */
  readonly reopens: number;
  /** Consecutive recorded failures. */
  readonly consecutiveFailures: number;
  /** Calls refused since the last transition. */
  readonly notPermittedCount: number;
  /** The window's metrics now. */
  readonly metrics: Metrics;
}

/** What {@link CircuitBreaker.execute} hands the function it runs. */
export interface ExecuteContext {
  /** Aborts when the caller's signal aborts: hand it to `fetch` and the like. */
  readonly signal: AbortSignal;
}

/** The wait used when a custom retry throws or returns nonsense, so the breaker cannot stick open. */
const FALLBACK_RETRY_WAIT = 60_000;

/** How many transitions one admission may go through (listeners can issue commands) before it gives up. */
const MAX_ADMISSION_STEPS = 4;

/** The longest delay one timer can hold (2^31 - 1 ms); longer waits are scheduled in steps. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** The mutable metrics object handed to the tripper; reused between evaluations. */
interface LiveMetrics {
  totalCount: number;
  failureCount: number;
  totalDuration: number | null;
  failureRate: number | null;
  avgDuration: number | null;
  slowCounts: Record<number, number>;
}

/**
 * A circuit breaker shared by every call it protects.
 *
 * Its state lives in one snapshot that changes only through the transition table; `state$` is
 * backed by a `BehaviorSubject`, and every moment in time (cooldowns, ramp-ups, windows, call
 * durations) is read from the configured scheduler, so `TestScheduler` drives it in tests.
 *
 * ## Example
 * ```ts
 * import { CircuitBreaker, circuitBreaker, trippers, retries } from 'rxjs-fluxgate';
 *
 * const breaker = new CircuitBreaker({
 *   name: 'payment_api',
 *   tripper: trippers.failureStreak(5),
 *   retry: retries.cooldown(30_000),
 * });
 * breaker.state$.subscribe((s) => console.log('payment_api is', s));
 * const charge$ = http.post('/charge', body).pipe(circuitBreaker(breaker));
 * // Output: payment_api is closed
 * ```
 */
export class CircuitBreaker {
  /** The breaker's name. */
  readonly name: string;

  private readonly config: ResolvedConfig;
  private readonly clock: Clock;
  private readonly store: StoreSession;
  private readonly window: WindowStore;
  private readonly plan: CallPlan;
  // The streams are made on first use, so a breaker nobody watches holds none of them.
  private stateSubject: BehaviorSubject<State> | undefined;
  private stateStream: Observable<State> | undefined;
  private transitionSubject: Subject<Transition> | undefined;
  private transitionStream: Observable<Transition> | undefined;
  private eventSubject: Subject<BreakerEvent> | undefined;
  private eventStream: Observable<BreakerEvent> | undefined;
  /** The last state delivered to `state$` (a stream made during a transition starts from it). */
  private delivered: State;
  private readonly metrics: LiveMetrics;
  private readonly context: { state: State; metrics: Metrics; consecutiveFailures: number };
  private readonly thresholds: readonly number[];
  /**
   * Whether calls are timed for the window and the tripper. With a window that reads no time and
   * a tripper that reads no duration (the defaults), a call in `closed` reads the clock only if
   * `events$` has been asked for or the call makes a transition.
   */
  private readonly timesCalls: boolean;
  private streak = 0;
  private notPermitted = 0;
  /** Trial outcomes recorded in the current `half_open` (for `halfOpenTrials`). */
  private trialOutcomes = 0;
  private readonly pending: Transition[] = [];
  private draining = false;
  /** The `autoHalfOpen` move, while one is scheduled. */
  private probe: Subscription | undefined;
  private disposed = false;

  /**
   * @param config Every field is optional; see {@link CircuitBreakerConfig} for the defaults.
   * @throws TypeError or RangeError naming the field, when the config is not valid.
   */
  constructor(config?: CircuitBreakerConfig) {
    this.config = resolveConfig(config);
    this.name = this.config.name;
    this.clock = new Clock(this.config.scheduler, (error) => this._report('scheduler', error));
    this.thresholds = slowThresholdsOf(this.config.tripper);
    this.timesCalls =
      this.config.window.usesTime !== false ||
      this.config.tripper.usesDurations !== false ||
      this.thresholds.length > 0;
    this.window = this.config.window.create(this.thresholds);
    this.plan = { breaker: this, successOnValue: false, isResult: undefined, fail: passError };
    const now = this.now();
    const restored = this.config.initialState;
    this.store = this.config.store.connect({
      name: this.name,
      // A saved time ahead of this clock (another machine, a clock set back) would stretch the
      // wait beyond what was drawn: it counts from now instead. A clock that cannot be read yet
      // says nothing about that, and the saved time stands.
      initial:
        restored === undefined
          ? initialSnapshot(now)
          : {
              ...restored,
              changedAt: this.clock.known ? Math.min(restored.changedAt, now) : restored.changedAt,
            },
      maxHalfOpenCalls: this.config.maxHalfOpenCalls,
      maxHalfOpenDuration: this.config.maxHalfOpenDuration,
      now: () => this.now(),
      changed: (snapshot, origin) => this.announce(snapshot, origin),
      report: (error) => this._report('store', error),
    });
    const s = this.store.read();
    this.delivered = s.state;
    const slowCounts: Record<number, number> = {};
    for (const t of this.thresholds) slowCounts[t] = 0;
    this.metrics = {
      totalCount: 0,
      failureCount: 0,
      totalDuration: this.timesCalls ? 0 : null,
      failureRate: null,
      avgDuration: null,
      slowCounts,
    };
    this.context = { state: s.state, metrics: this.metrics, consecutiveFailures: 0 };
    this.scheduleProbe(s);
  }

  /** The current state on subscribe, then every change (never the same state twice in a row). */
  get state$(): Observable<State> {
    this.stateSubject ??= this.disposedSubject(new BehaviorSubject<State>(this.delivered));
    return (this.stateStream ??= this.stateSubject.pipe(distinctUntilChanged()));
  }

  /** Every change of state, `{ name, from, to, at, origin }`. */
  get transitions$(): Observable<Transition> {
    this.transitionSubject ??= this.disposedSubject(new Subject<Transition>());
    return (this.transitionStream ??= this.transitionSubject.asObservable());
  }

  /**
   * One event per call outcome (built only while someone subscribes). Asking for it makes the
   * breaker time every call that starts from then on, so that `success` and `failure` carry a
   * duration; a call already under way then reports neither (docs/guide.md, "When calls are
   * timed").
   */
  get events$(): Observable<BreakerEvent> {
    this.eventSubject ??= this.disposedSubject(new Subject<BreakerEvent>());
    return (this.eventStream ??= this.eventSubject.asObservable());
  }

  /** The current state. */
  get state(): State {
    return this.store.read().state;
  }

  /**
   * A snapshot of the breaker: state, when it was entered, reopens, the failure streak, refused
   * calls since the last transition, and the window's metrics.
   *
   * @return A new object; later calls do not change it.
   */
  info(): CircuitBreakerInfo {
    const s = this.store.read();
    this.readMetrics(this.now());
    return {
      name: this.name,
      state: s.state,
      changedAt: s.changedAt,
      reopens: s.reopens,
      consecutiveFailures: this.streak,
      notPermittedCount: this.notPermitted,
      metrics: { ...this.metrics, slowCounts: { ...this.metrics.slowCounts } },
    };
  }

  /**
   * The breaker's state as a plain, JSON-safe object (SPEC rule 6.1), so `JSON.stringify(breaker)`
   * works. Give it back as `initialState` to start a new breaker where this one is: an open
   * breaker restored stays open until its wait ends. Windows are not saved.
   *
   * ## Example
   * ```ts
   * writeFileSync('breaker.json', JSON.stringify(breaker));
   * // after a restart:
   * const initialState = JSON.parse(readFileSync('breaker.json', 'utf8'));
   * const restored = new CircuitBreaker({ name: 'payment_api', initialState });
   * ```
   *
   * @return `{ version: 1, name, state, changedAt, reopens, generation, retryWait }`, with
   *   `retryWait` `null` for an endless wait.
   */
  toJSON(): SavedState {
    return savedState(this.name, this.store.read());
  }

  /**
   * Protects an observable input: the same as `from(source).pipe(circuitBreaker(this))`.
   * Each subscription to the result is one call. Pass a cold source (`defer(() => fetch(url))`),
   * not a promise that has already started.
   *
   * @param source The observable (or other `ObservableInput`) to protect.
   * @return The protected observable.
   */
  protect<T>(source: ObservableInput<T>): Observable<T> {
    const input = from(source);
    return new Observable<T>((subscriber) => subscribeCall(this.plan, input, subscriber));
  }

  /**
   * The promise path: runs `fn(...args)` as one call. A resolved promise (or a returned value) is a
   * success; a rejection (or a throw) is an error for the tracker to judge, and is passed on.
   *
   * ## Example
   * ```ts
   * const user = await breaker.call(fetchUser, id);
   * ```
   *
   * @param fn The function to call.
   * @param args Its arguments.
   * @return What `fn` resolves to; rejects with `fn`'s error or a {@link CallNotPermittedError}.
   */
  call<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<Awaited<R>> {
    if (typeof fn !== 'function') {
      return Promise.reject(
        new TypeError(`CircuitBreaker.call(fn): expected a function, got ${check.describe(fn)}`),
      );
    }
    const generation = this._acquire();
    if (typeof generation !== 'number') return Promise.reject(generation);
    if (generation === PASS_THROUGH) {
      return new Promise<Awaited<R>>((resolve) =>
        resolve(fn(...args) as Awaited<R> | PromiseLike<Awaited<R>>),
      );
    }
    const startedAt = this._start();
    let result: R | PromiseLike<R>;
    try {
      result = fn(...args);
    } catch (error) {
      this._error(generation, startedAt, error);
      return Promise.reject(error);
    }
    return Promise.resolve(result).then(
      (value) => {
        this._success(generation, startedAt);
        return value as Awaited<R>;
      },
      (error: unknown) => {
        this._error(generation, startedAt, error);
        throw error;
      },
    );
  }

  /**
   * The promise path with cancellation (SPEC rule 6.3): runs `fn({ signal })` as one call. The
   * `signal` handed to `fn` aborts when the caller's `signal` does; if that happens before `fn`
   * settles, the call is cancelled (not recorded, a trial slot freed) and the promise rejects
   * with the signal's `reason`. A signal already aborted rejects at once: nothing is called,
   * refused or recorded.
   *
   * ## Example
   * ```ts
   * const controller = new AbortController();
   * const user = breaker.execute(({ signal }) => fetch(`/users/${id}`, { signal }), controller.signal);
   * controller.abort(); // user rejects with the abort reason; the call counts for nothing
   * ```
   *
   * @param fn The function to call, given `{ signal }`.
   * @param signal Aborts the call.
   * @return What `fn` resolves to; rejects with `fn`'s error, a {@link CallNotPermittedError}, or
   *   the signal's reason.
   */
  execute<R>(
    fn: (context: ExecuteContext) => R | PromiseLike<R>,
    signal?: AbortSignal,
  ): Promise<Awaited<R>> {
    if (typeof fn !== 'function') {
      return Promise.reject(
        new TypeError(`CircuitBreaker.execute(fn): expected a function, got ${check.describe(fn)}`),
      );
    }
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(
        new TypeError(
          `CircuitBreaker.execute(fn, signal): expected an AbortSignal, got ${check.describe(signal)}`,
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const generation = this._acquire();
    if (typeof generation !== 'number') return Promise.reject(generation);
    const inner = new AbortController();
    const measured = generation !== PASS_THROUGH;
    const startedAt = measured ? this._start() : 0;
    return new Promise<Awaited<R>>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        if (measured) this._cancel(generation);
        inner.abort(signal!.reason);
        reject(signal!.reason);
      };
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let result: R | PromiseLike<R>;
      try {
        result = fn({ signal: inner.signal });
      } catch (error) {
        settle(() => {
          if (measured) this._error(generation, startedAt, error);
          reject(error);
        });
        return;
      }
      Promise.resolve(result).then(
        (value) =>
          settle(() => {
            if (measured) this._success(generation, startedAt);
            resolve(value as Awaited<R>);
          }),
        (error: unknown) =>
          settle(() => {
            if (measured) this._error(generation, startedAt, error);
            reject(error);
          }),
      );
    });
  }

  /**
   * The promise path with a fallback: like {@link CircuitBreaker.call}, but any error the call ends
   * with (a refusal, a failure or an ignored error) is handed to `fallback`, after the outcome is
   * recorded.
   *
   * @param fn The function to call.
   * @param fallback Gives a value (or a promise) for the error; its own error is passed on.
   * @param args `fn`'s arguments.
   * @return What `fn` or, on an error, `fallback` resolves to.
   */
  async callWithFallback<A extends unknown[], R, F>(
    fn: (...args: A) => R | PromiseLike<R>,
    fallback: (error: unknown) => F | PromiseLike<F>,
    ...args: A
  ): Promise<Awaited<R> | Awaited<F>> {
    if (typeof fn !== 'function') {
      throw new TypeError(
        `CircuitBreaker.callWithFallback(fn): expected a function, got ${check.describe(fn)}`,
      );
    }
    if (typeof fallback !== 'function') {
      throw new TypeError(
        `CircuitBreaker.callWithFallback(fn, fallback): expected a function, got ${check.describe(fallback)}`,
      );
    }
    try {
      return await this.call(fn, ...args);
    } catch (error) {
      return await fallback(error);
    }
  }

  /** Moves to `closed` (clearing the window, the streak and the reopens). */
  reset(): void {
    this.command('closed');
  }

  /** Moves to `disabled`: calls pass untouched and nothing is measured. */
  disable(): void {
    this.command('disabled');
  }

  /** Moves to `metrics_only`: calls pass and are measured, but the breaker never opens. */
  metricsOnly(): void {
    this.command('metrics_only');
  }

  /** Moves to `forced_open`: every call is refused until another command. */
  forceOpen(): void {
    this.command('forced_open');
  }

  /**
   * Moves to `open` now, from any state, for exactly `ms` (SPEC rule 6.2): `retryAfter` counts
   * down from `ms`, then the breaker probes as usual; later openings use the retry policy again.
   * While already open it restarts the wait and, like any command to the current state, emits
   * nothing. The answer to an HTTP `Retry-After`.
   *
   * @param ms The wait, finite and `> 0`.
   * @throws RangeError or TypeError when `ms` is not a finite number `> 0`.
   */
  openFor(ms: number): void {
    const wait = check.positiveDuration('CircuitBreaker.openFor(ms)', ms);
    this.moveTo(this.store.read(), 'open', this.now(), 'manual', () => wait);
  }

  /**
   * Stops what the breaker runs on its own: the `autoHalfOpen` timer is cancelled for good, the
   * store connection closed, and `state$`, `transitions$` and `events$` complete. A disposed
   * breaker still judges calls, but schedules nothing more.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelProbe();
    this.store.close();
    this.stateSubject?.complete();
    this.transitionSubject?.complete();
    this.eventSubject?.complete();
  }

  // ---------------------------------------------------------------------------------------------
  // The call protocol, used by the operator and the promise path.

  /** The scheduler's time, as the breaker reads it (never going back). @internal */
  now(): number {
    return this.clock.now();
  }

  /**
   * Admits or refuses a call (SPEC rule 2.1). Returns the generation the call belongs to,
   * {@link PASS_THROUGH} in `disabled`, or the error to refuse it with.
   *
   * @internal
   */
  _acquire(): number | CallNotPermittedError {
    for (let step = 0; ; step++) {
      const s = this.store.read();
      switch (s.state) {
        case 'closed':
        case 'metrics_only':
          return s.generation;
        case 'disabled':
          return PASS_THROUGH;
        case 'forced_open':
          return this.reject(s, undefined);
      }
      const now = this.now();
      if (step >= MAX_ADMISSION_STEPS) return this.reject(s, now);
      if (s.state === 'open') {
        if (remainingWait(s, now) > 0) return this.reject(s, now);
        this.moveTo(s, 'half_open', now, 'automatic');
        continue;
      }
      // half_open
      if (now - s.changedAt >= this.config.maxHalfOpenDuration) {
        this.moveTo(s, 'open', now, 'automatic');
        continue;
      }
      if (!this.permits(now - s.changedAt) || !this.store.acquireTrial(s.generation)) {
        return this.reject(s, now);
      }
      return s.generation;
    }
  }

  /**
   * When a call admitted now starts: the time, or `NaN` when neither the window, the tripper nor
   * `events$` will need the call's duration.
   *
   * @internal
   */
  _start(): number {
    return this.timesCalls || this.eventSubject !== undefined ? this.now() : NaN;
  }

  /**
   * Records a success of a call admitted in `generation` at `startedAt` (`NaN` for a call not
   * timed: then the clock is not read, and no `success` event is emitted, as its duration is
   * unknown; that happens only for calls already under way when `events$` was first asked for).
   *
   * @internal
   */
  _success(generation: number, startedAt: number): void {
    const timed = !Number.isNaN(startedAt);
    const now = timed ? this.now() : undefined;
    const duration = now === undefined ? 0 : Math.max(0, now - startedAt);
    const s = this.store.read();
    const current = generation === s.generation;
    if (current) {
      if (s.state === 'half_open') this.store.releaseTrial(generation);
      this.streak = 0;
      this.record(now, false, duration);
    }
    if (now !== undefined && this.eventSubject?.observed) {
      this.eventSubject.next({ type: 'success', name: this.name, at: now, duration });
    }
    if (current) this.evaluate(s, now, false);
  }

  /**
   * Records an error of a call admitted in `generation` at `startedAt` (`NaN` for a call not
   * timed, as for {@link _success}; an `ignored` event needs no duration and is emitted anyway).
   *
   * @internal
   */
  _error(generation: number, startedAt: number, error: unknown): void {
    const timed = !Number.isNaN(startedAt);
    const now = timed ? this.now() : undefined;
    const duration = now === undefined ? 0 : Math.max(0, now - startedAt);
    const tracked = this.tracks(error);
    const s = this.store.read();
    const current = generation === s.generation;
    if (current) {
      if (s.state === 'half_open') this.store.releaseTrial(generation);
      if (tracked) {
        this.streak++;
        this.record(now, true, duration);
      }
    }
    if (this.eventSubject?.observed) {
      if (!tracked) {
        this.eventSubject.next({ type: 'ignored', name: this.name, at: now ?? this.now(), error });
      } else if (now !== undefined) {
        this.eventSubject.next({ type: 'failure', name: this.name, at: now, error, duration });
      }
    }
    if (current && tracked) this.evaluate(s, now, true);
  }

  /** Records that a call admitted in `generation` was cancelled before any value. @internal */
  _cancel(generation: number): void {
    const s = this.store.read();
    if (generation === s.generation && s.state === 'half_open') this.store.releaseTrial(generation);
    if (this.eventSubject?.observed) {
      this.eventSubject.next({ type: 'cancelled', name: this.name, at: this.now() });
    }
  }

  /** Reports an error thrown by user code (to `onError`, or `console.error`). @internal */
  _report(source: FaultSource, error: unknown): void {
    const onError = this.config.onError;
    if (onError) {
      try {
        const result: unknown = onError(error, { breaker: this.name, source });
        if (isThenable(result)) result.then(undefined, (fault) => this.onErrorFailed(fault));
        return;
      } catch (fault) {
        this.onErrorFailed(fault);
      }
    }
    console.error(`rxjs-fluxgate: the ${source} of circuit breaker '${this.name}' threw`, error);
  }

  // ---------------------------------------------------------------------------------------------

  private onErrorFailed(fault: unknown): void {
    console.error(`rxjs-fluxgate: onError of circuit breaker '${this.name}' threw`, fault);
  }

  /** Refuses a call; `now` is read only if the refusal needs it. */
  private reject(s: BreakerSnapshot, now: number | undefined): CallNotPermittedError {
    this.notPermitted++;
    const at = now ?? this.now();
    const retryAfter =
      s.state === 'open' && s.retryWait !== Infinity
        ? Math.max(0, Math.ceil(remainingWait(s, at)))
        : undefined;
    // A refusal's stack would show only the breaker's and RxJS's frames, and capturing it is
    // most of the cost of a refusal: build the error without one.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let error: CallNotPermittedError;
    try {
      error = new CallNotPermittedError(this.name, s.state, retryAfter);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    if (this.eventSubject?.observed) {
      this.eventSubject.next({ type: 'rejected', name: this.name, at, error });
    }
    return error;
  }

  /** Records an outcome; a window that reads no time gets the last time read for `now`. */
  private record(now: number | undefined, failure: boolean, duration: number): void {
    try {
      this.window.record(now ?? this.clock.latest, failure, duration);
    } catch (error) {
      this._report('window', error);
    }
  }

  /**
   * Asks the tripper after an outcome recorded in snapshot `s` (SPEC rules 2.5 and 6.5). The
   * outcome's event is delivered first, so the slot and the window are up to date for its
   * subscribers; if one of them, or the tripper, moved the breaker meanwhile, the outcome no
   * longer decides anything. `now` is `undefined` for an outcome not timed: the clock is then
   * read only for a transition.
   */
  private evaluate(s: BreakerSnapshot, now: number | undefined, failure: boolean): void {
    if (s.state !== 'closed' && s.state !== 'half_open') return;
    if (this.store.read() !== s) return;
    const sample = s.state === 'half_open' ? this.config.halfOpenTrials : undefined;
    if (sample !== undefined && ++this.trialOutcomes < sample) return;
    const trips = this.trips(s.state, now);
    if (trips === undefined) return;
    let to: State | undefined;
    if (s.state === 'closed') to = trips ? 'open' : undefined;
    else if (sample !== undefined) to = trips ? 'open' : 'closed';
    else if (failure ? trips : !trips) to = failure ? 'open' : 'closed';
    if (to !== undefined) this.moveTo(s, to, now ?? this.now(), 'automatic');
  }

  /** The tripper's verdict, or `undefined` when the window or the tripper threw. */
  private trips(state: State, now: number | undefined): boolean | undefined {
    if (!this.readMetrics(now)) return undefined;
    this.context.state = state;
    this.context.consecutiveFailures = this.streak;
    try {
      return this.config.tripper.trips(this.context) === true;
    } catch (error) {
      this._report('tripper', error);
      return undefined;
    }
  }

  /**
   * Copies the window's totals into the live metrics; false when the window threw. A window that
   * reads no time gets the last time read when `now` is `undefined`.
   */
  private readMetrics(now: number | undefined): boolean {
    const m = this.metrics;
    try {
      const w = this.window.read(now ?? this.clock.latest);
      m.totalCount = w.totalCount;
      m.failureCount = w.failureCount;
      if (this.timesCalls) m.totalDuration = w.totalDuration;
      for (let i = 0; i < this.thresholds.length; i++)
        m.slowCounts[this.thresholds[i]!] = w.slowCounts[i] ?? 0;
    } catch (error) {
      this._report('window', error);
      return false;
    }
    m.failureRate = m.totalCount === 0 ? null : m.failureCount / m.totalCount;
    m.avgDuration =
      m.totalCount === 0 || m.totalDuration === null ? null : m.totalDuration / m.totalCount;
    return true;
  }

  private tracks(error: unknown): boolean {
    try {
      return this.config.tracker.tracks(error) === true;
    } catch (fault) {
      this._report('tracker', fault);
      return true;
    }
  }

  private permits(elapsed: number): boolean {
    try {
      return this.config.permit.admits(elapsed, this.config.random) === true;
    } catch (error) {
      // Admitting keeps the breaker probing, so a broken permit cannot hold it half-open forever.
      this._report('permit', error);
      return true;
    }
  }

  private retryWait(reopens: number): number {
    try {
      const wait = this.config.retry.wait(reopens, this.config.random);
      if (typeof wait !== 'number' || !(wait >= 0)) {
        throw new TypeError(`retry.wait(): expected a number >= 0, got ${check.describe(wait)}`);
      }
      return wait;
    } catch (error) {
      this._report('retry', error);
      return FALLBACK_RETRY_WAIT;
    }
  }

  private command(to: State): void {
    const s = this.store.read();
    if (s.state === to) {
      this.clearWindow();
      return;
    }
    this.moveTo(s, to, this.now(), 'manual');
  }

  private clearWindow(): void {
    try {
      this.window.clear();
    } catch (error) {
      this._report('window', error);
    }
  }

  /**
   * Makes the transition from snapshot `from` to `to` through the table, if `from` is still the
   * current snapshot: a decision taken on a snapshot that user code (a tripper, a listener,
   * `onError`, the retry policy) replaced meanwhile is dropped, so the command it issued wins.
   */
  private moveTo(
    from: BreakerSnapshot,
    to: State,
    now: number,
    kind: TransitionKind,
    wait: (reopens: number) => number = (reopens) => this.retryWait(reopens),
  ): void {
    if (this.store.read() !== from) return;
    const next = advance(from, to, now, kind, wait);
    if (this.store.read() !== from) return;
    this.enter(next);
    this.store.write(next);
  }

  /** What entering a snapshot's state does besides the snapshot itself (SPEC rule 2.6). */
  private enter(next: BreakerSnapshot): void {
    this.clearWindow();
    this.notPermitted = 0;
    this.trialOutcomes = 0;
    if (clearsStreak(next.state)) this.streak = 0;
    this.scheduleProbe(next);
  }

  /** Queues the transition to `snapshot` for `state$`, the listeners and `transitions$`. */
  private announce(snapshot: BreakerSnapshot, origin: TransitionOrigin): void {
    if (origin === 'remote') this.enter(snapshot);
    const from = this.pending.at(-1)?.to ?? this.delivered;
    if (from === snapshot.state) return;
    this.pending.push({
      name: this.name,
      from,
      to: snapshot.state,
      at: snapshot.changedAt,
      origin,
    });
    if (!this.draining) this.drain();
  }

  /**
   * Delivers queued transitions one at a time, so a listener that issues a command sees its own
   * transition delivered after the current one, and every subscriber sees the same order.
   */
  private drain(): void {
    this.draining = true;
    try {
      for (let t = this.pending.shift(); t !== undefined; t = this.pending.shift()) {
        this.delivered = t.to;
        this.stateSubject?.next(t.to);
        for (const listener of this.config.listeners) this.runListener(listener, t);
        this.transitionSubject?.next(t);
      }
    } finally {
      this.draining = false;
    }
  }

  private runListener(listener: (t: Transition) => unknown, t: Transition): void {
    try {
      const result = listener(t);
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => this._report('listener', error));
      }
    } catch (error) {
      this._report('listener', error);
    }
  }

  /**
   * With `autoHalfOpen`, schedules the move of an open snapshot to `half_open` when its wait ends
   * (SPEC rule 6.4); any other snapshot cancels a pending one. Waits longer than a timer holds
   * are scheduled in steps; an endless wait schedules nothing.
   */
  private scheduleProbe(s: BreakerSnapshot): void {
    this.cancelProbe();
    if (!this.config.autoHalfOpen || this.disposed || s.state !== 'open') return;
    if (s.retryWait === Infinity) return;
    const delay = Math.min(MAX_TIMER_DELAY, Math.max(0, remainingWait(s, this.now())));
    try {
      this.probe = this.config.scheduler.schedule(() => {
        this.probe = undefined;
        if (this.store.read() !== s) return;
        const now = this.now();
        if (remainingWait(s, now) > 0) this.scheduleProbe(s);
        else this.moveTo(s, 'half_open', now, 'automatic');
      }, delay);
    } catch (error) {
      this._report('scheduler', error);
    }
  }

  private cancelProbe(): void {
    const probe = this.probe;
    this.probe = undefined;
    try {
      probe?.unsubscribe();
    } catch (error) {
      this._report('scheduler', error);
    }
  }

  /** A subject made after `dispose()` starts completed, as the others ended. */
  private disposedSubject<S extends { complete(): void }>(subject: S): S {
    if (this.disposed) subject.complete();
    return subject;
  }
}

/** Milliseconds until an open snapshot's wait ends at `now` (`<= 0`: it has ended). */
function remainingWait(s: BreakerSnapshot, now: number): number {
  return s.changedAt + s.retryWait - now;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).removeEventListener === 'function'
  );
}

/**
 * Whether `value` is a {@link CircuitBreaker}, made by this copy of the package or by another (an
 * ES module and a CommonJS copy side by side).
 *
 * @param value Anything.
 * @return `true` for a breaker.
 */
export function isCircuitBreaker(value: unknown): value is CircuitBreaker {
  return (
    value instanceof CircuitBreaker ||
    (value !== null &&
      typeof value === 'object' &&
      typeof (value as CircuitBreaker)._acquire === 'function')
  );
}

function slowThresholdsOf(tripper: {
  readonly slowThresholds?: readonly number[];
}): readonly number[] {
  const given = tripper.slowThresholds ?? [];
  if (!Array.isArray(given) || !given.every((t) => typeof t === 'number' && t > 0)) {
    throw new TypeError(
      'CircuitBreaker config.tripper.slowThresholds: expected an array of numbers > 0',
    );
  }
  return [...new Set(given)].sort((a, b) => a - b);
}
