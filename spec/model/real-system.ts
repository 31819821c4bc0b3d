/**
 * The real breaker under test, with everything it says recorded: each subscriber's notifications,
 * `events$`, `transitions$` and `state$`, in the shapes the reference model produces.
 */
import { Subject, of, take, type Observable, type ObservableInput, type Subscription } from 'rxjs';
import {
  CallNotPermittedError,
  CircuitBreaker,
  circuitBreaker,
  type BreakerEvent,
  type CircuitBreakerConfig,
  type CircuitBreakerOptions,
  type State,
} from 'rxjs-fluxgate';
import { ManualClock } from '../helpers/clock';
import {
  FALLBACK_VALUE,
  type CallOptions,
  type EventView,
  type Note,
  type RejectionView,
  type TransitionView,
} from './reference-model';

export interface RealCall {
  readonly source: Subject<unknown>;
  readonly subscription: Subscription;
  readonly notes: Note[];
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
  readonly clock: ManualClock;
  readonly breaker: CircuitBreaker;
  readonly calls: RealCall[] = [];
  readonly events: EventView[] = [];
  readonly rawEvents: BreakerEvent[] = [];
  readonly transitions: TransitionView[] = [];
  readonly states: State[] = [];
  readonly eventNames = new Set<string>();

  constructor(config: CircuitBreakerConfig, start: number) {
    this.clock = new ManualClock(start);
    this.breaker = new CircuitBreaker({ ...config, scheduler: this.clock });
    this.breaker.state$.subscribe((s) => this.states.push(s));
    this.breaker.transitions$.subscribe((t) => {
      this.transitions.push({ from: t.from, to: t.to, at: t.at });
      this.eventNames.add(t.name);
    });
    this.breaker.events$.subscribe((e) => {
      this.rawEvents.push(e);
      this.events.push(eventView(e));
      this.eventNames.add(e.name);
    });
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
    const call = { source, subscription, notes };
    this.calls.push(call);
    return call;
  }
}
