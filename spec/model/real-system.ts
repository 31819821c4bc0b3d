/**
 * The real breaker under test, with everything it says recorded: each subscriber's notifications,
 * `events$`, `transitions$` and `state$`, in the shapes the reference model produces.
 */
import { Subject, Subscription, of, take, type Observable, type ObservableInput } from 'rxjs';
import {
  CallNotPermittedError,
  CircuitBreaker,
  circuitBreaker,
  type BreakerEvent,
  type CircuitBreakerConfig,
  type CircuitBreakerOptions,
  type FaultSource,
  type State,
  type Tripper,
} from 'rxjs-fluxgate';
import { VirtualClock } from '../helpers/clock';
import type { CommandSpec, ReentrySpec } from './config-spec';
import {
  FALLBACK_VALUE,
  type CallOptions,
  type EventView,
  type Note,
  type RejectionView,
  type TransitionView,
} from './reference-model';

export interface RealCall {
  /** Through the operator, or `execute` (whose `fn` resolves at the source's first value or completion). */
  readonly kind: 'observable' | 'execute';
  readonly source: Subject<unknown>;
  /** Closed once the subscriber is done (for `execute`, once the promise has settled). */
  readonly subscription: Subscription;
  readonly notes: Note[];
  /** Unsubscribes; for `execute`, aborts the controller (and then lets `fn` resolve, too late). */
  cancel(): void;
}

/** What one breaker's user code shares with the test: live until the breaker is replaced. */
interface Host {
  live: boolean;
  breaker: CircuitBreaker | undefined;
}

export interface RealSystemOptions {
  /** Re-entrant user code to wire into every breaker made. */
  readonly reentry?: ReentrySpec | undefined;
  /** Wrap `onError` to record the sources reported (so `console.error` stays quiet). */
  readonly reports?: boolean;
  /** Subscribe to `events$` of every breaker from its start (default); else from `watchEvents()`. */
  readonly watchEvents?: boolean;
}

/** A rejection reduced to what the model predicts; other errors are kept as they are. */
export function view(error: unknown): unknown {
  if (error instanceof CallNotPermittedError) {
    const v: RejectionView = {
      rejected: error.state,
      breakerName: error.breakerName,
      retryAfter: error.retryAfter,
    };
    return v;
  }
  return error;
}

export function eventView(e: BreakerEvent): EventView {
  switch (e.type) {
    case 'success':
      return { type: e.type, at: e.at, duration: e.duration };
    case 'failure':
      return { type: e.type, at: e.at, duration: e.duration, error: e.error };
    case 'ignored':
      return { type: e.type, at: e.at, error: e.error };
    case 'cancelled':
      return { type: e.type, at: e.at };
    case 'rejected':
      return { type: e.type, at: e.at, error: view(e.error) as RejectionView };
  }
}

export class RealSystem {
  readonly clock: VirtualClock;
  breaker: CircuitBreaker;
  readonly calls: RealCall[] = [];
  readonly events: EventView[] = [];
  readonly rawEvents: BreakerEvent[] = [];
  readonly transitions: TransitionView[] = [];
  readonly states: State[] = [];
  readonly eventNames = new Set<string>();
  /** The sources reported to `onError` (with `options.reports`). */
  readonly reports: FaultSource[] = [];
  private host: Host = { live: false, breaker: undefined };
  private fired = { listener: false, tripper: false, onError: false, event: false };
  /** Whether `events$` is read: from the start, or since `watchEvents()`. */
  private watching: boolean;

  constructor(
    config: CircuitBreakerConfig,
    start: number,
    readonly options: RealSystemOptions = {},
  ) {
    this.clock = new VirtualClock(start);
    this.watching = options.watchEvents !== false;
    this.breaker = this.make(config);
  }

  /** Reads `events$` for the first time (the breaker then times every call it starts). */
  watchEvents(): void {
    if (this.watching) return;
    this.watching = true;
    this.subscribeEvents(this.breaker, this.host);
  }

  /** A new step: each re-entrant hook may fire once more. */
  beginStep(): void {
    this.fired = { listener: false, tripper: false, onError: false, event: false };
  }

  /**
   * Replaces the breaker by one built from `config` (which carries `initialState`): the old one
   * is disposed and its user code goes quiet; calls in flight stay with it.
   */
  restore(config: CircuitBreakerConfig): void {
    this.host.live = false;
    this.breaker.dispose();
    this.breaker = this.make(config);
  }

  private make(config: CircuitBreakerConfig): CircuitBreaker {
    const host: Host = { live: true, breaker: undefined };
    this.host = host;
    const b = new CircuitBreaker({
      ...this.instrument(config, host),
      scheduler: this.clock,
    });
    host.breaker = b;
    b.state$.subscribe((s) => this.states.push(s));
    b.transitions$.subscribe((t) => {
      this.transitions.push({ from: t.from, to: t.to, at: t.at });
      this.eventNames.add(t.name);
    });
    if (this.watching) this.subscribeEvents(b, host);
    return b;
  }

  private subscribeEvents(b: CircuitBreaker, host: Host): void {
    b.events$.subscribe((e) => {
      this.rawEvents.push(e);
      this.events.push(eventView(e));
      this.eventNames.add(e.name);
      const hook = this.options.reentry?.event;
      if (hook !== undefined && hook.on === e.type && host.live && !this.fired.event) {
        this.fired.event = true;
        const command = hook.command;
        if (command.t === 'openFor') b.openFor(command.ms);
        else b[command.command]();
      }
    });
  }

  /** `config` with the re-entrant hooks and the report recorder wired in, for one breaker. */
  private instrument(config: CircuitBreakerConfig, host: Host): CircuitBreakerConfig {
    const reentry = this.options.reentry;
    const issue = (command: CommandSpec): void => {
      const b = host.breaker!;
      if (command.t === 'openFor') b.openFor(command.ms);
      else b[command.command]();
    };
    const out: { -readonly [K in keyof CircuitBreakerConfig]: CircuitBreakerConfig[K] } = {
      ...config,
    };
    if (this.options.reports === true) {
      const inner = config.onError;
      out.onError = (error, context) => {
        if (!host.live) return;
        this.reports.push(context.source);
        inner?.(error, context);
        const hook = reentry?.onError;
        if (hook !== undefined && hook.on === context.source && !this.fired.onError) {
          this.fired.onError = true;
          issue(hook.command);
        }
      };
    }
    const listener = reentry?.listener;
    if (listener !== undefined) {
      out.listeners = [
        ...(config.listeners ?? []),
        (t) => {
          if (!host.live || t.to !== listener.on) return;
          if (!this.fired.listener) {
            this.fired.listener = true;
            issue(listener.command);
          }
          if (listener.throws) throw new Error(`listener broke on ${t.to}`);
        },
      ];
    }
    const tripperHook = reentry?.tripper;
    if (tripperHook !== undefined && config.tripper !== undefined) {
      const inner: Tripper = config.tripper;
      out.tripper = {
        slowThresholds: inner.slowThresholds ?? [],
        ...(inner.usesDurations === undefined ? {} : { usesDurations: inner.usesDurations }),
        trips: (context) => {
          const verdict = inner.trips(context);
          if (host.live && context.state === tripperHook.on && !this.fired.tripper) {
            this.fired.tripper = true;
            issue(tripperHook.command);
          }
          return verdict;
        },
      };
    }
    const every = reentry?.retryThrowsEvery;
    if (every !== undefined && config.retry !== undefined) {
      const inner = config.retry;
      let calls = 0;
      out.retry = {
        wait: (reopens, random) => {
          if (++calls % every === 0) throw new Error('retry broke');
          return inner.wait(reopens, random);
        },
      };
    }
    return out;
  }

  /**
   * Starts a call: a Subject piped through the operator (then `take(1)` if asked). `extra`
   * replaces the operator options the call's `options` imply (`fallback`, `isResult`).
   */
  start(options: CallOptions, extra?: CircuitBreakerOptions<ObservableInput<unknown>>): RealCall {
    const source = new Subject<unknown>();
    const operator = circuitBreaker(this.breaker, {
      successOn: options.successOnValue ? 'value' : 'complete',
      ...(options.fallback ? { fallback: () => of(FALLBACK_VALUE) } : {}),
      ...extra,
    });
    let protectedSource: Observable<unknown> = source.pipe(operator);
    if (options.take1) protectedSource = protectedSource.pipe(take(1));
    const notes: Note[] = [];
    const subscription = protectedSource.subscribe({
      next: (v) => notes.push(['N', v]),
      error: (e: unknown) => notes.push(['E', view(e)]),
      complete: () => notes.push(['C']),
    });
    const call: RealCall = {
      kind: 'observable',
      source,
      subscription,
      notes,
      cancel: () => subscription.unsubscribe(),
    };
    this.calls.push(call);
    return call;
  }

  /**
   * Starts an `execute` call with an AbortController (aborted first, if `preAborted`): `fn`
   * resolves at the source's first value (or `undefined` at its completion) and rejects at its
   * error. The promise's outcome lands in `notes` a few microtasks later (see `flush`).
   */
  execute(preAborted: boolean, reason: string): RealCall {
    const source = new Subject<unknown>();
    const controller = new AbortController();
    if (preAborted) controller.abort(reason);
    const notes: Note[] = [];
    const subscription = new Subscription();
    this.breaker
      .execute(
        () =>
          new Promise<unknown>((resolve, reject) =>
            source.subscribe({ next: resolve, error: reject, complete: () => resolve(undefined) }),
          ),
        controller.signal,
      )
      .then(
        (v) => notes.push(['N', v]),
        (e: unknown) => notes.push(['E', view(e)]),
      )
      .finally(() => subscription.unsubscribe());
    const call: RealCall = {
      kind: 'execute',
      source,
      subscription,
      notes,
      cancel: () => {
        controller.abort(reason);
        source.next('too late');
      },
    };
    this.calls.push(call);
    return call;
  }
}

/** Lets the promises of `execute` calls settle (each takes a few microtasks). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}
