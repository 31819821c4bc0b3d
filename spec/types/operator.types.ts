/**
 * Compile-only checks of the public types: nothing here runs. `tsc --noEmit -p .` checks this file
 * (and spec/types/types.spec.ts compiles it under `npm test`): each `expectType` line must hold,
 * and each `@ts-expect-error` line must fail to compile (an unused one is itself an error).
 */
import { Observable, of, type OperatorFunction } from 'rxjs';
import {
  CallNotPermittedError,
  CircuitBreaker,
  circuitBreaker,
  permits,
  retries,
  trackers,
  trippers,
  windows,
  type BreakerEvent,
  type CircuitBreakerConfig,
  type CircuitBreakerOperator,
  type Permit,
  type State,
  type Tripper,
  type Window,
} from 'rxjs-fluxgate';

/** True when A and B are the same type (not merely assignable one way). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when `value`'s type is exactly `T`. */
function expectType<T>() {
  return <V>(value: V & (Equal<V, T> extends true ? unknown : never)): V => value;
}

declare const breaker: CircuitBreaker;
declare const numbers$: Observable<number>;
interface User {
  readonly id: number;
}
declare const users$: Observable<User>;

// The operator keeps the source's element type.
expectType<Observable<number>>()(numbers$.pipe(circuitBreaker(breaker)));
expectType<Observable<User>>()(users$.pipe(circuitBreaker(breaker, { successOn: 'value' })));
expectType<Observable<User>>()(circuitBreaker(breaker)(users$));
expectType<Observable<string>>()(breaker.protect(of('a')));
expectType<Observable<number>>()(breaker.protect(Promise.resolve(1)));

// A fallback widens it to T | F, whatever ObservableInput the fallback returns.
expectType<Observable<number | string>>()(
  numbers$.pipe(circuitBreaker(breaker, { fallback: () => of('cached') })),
);
expectType<Observable<User | null>>()(
  users$.pipe(circuitBreaker(breaker, { fallback: () => Promise.resolve(null) })),
);
expectType<Observable<number | boolean>>()(
  numbers$.pipe(circuitBreaker(breaker, { fallback: () => [true, false] })),
);
// A fallback of the same type does not widen it.
expectType<Observable<number>>()(numbers$.pipe(circuitBreaker(breaker, { fallback: () => of(0) })));

// An operator made from a config owns its breaker, and is a plain OperatorFunction too.
const owned = circuitBreaker({ name: 'inventory' });
expectType<CircuitBreaker>()(owned.breaker);
expectType<CircuitBreakerOperator>()(owned);
const asFunction: OperatorFunction<number, number> = owned;
void asFunction;

// The promise path keeps the function's result type; callWithFallback widens it.
expectType<Promise<string>>()(breaker.call(async (id: number) => String(id), 1));
expectType<Promise<number>>()(breaker.call(() => 42));
expectType<Promise<string | null>>()(
  breaker.callWithFallback(
    async (id: number) => `user ${id}`,
    () => null,
    7,
  ),
);
// @ts-expect-error the function's arguments are checked
void breaker.call(async (id: number) => String(id), 'one');
// @ts-expect-error and their number
void breaker.call(async (id: number) => String(id));

// Events are a union discriminated by `type`.
breaker.events$.subscribe((e: BreakerEvent) => {
  if (e.type === 'success') expectType<number>()(e.duration);
  if (e.type === 'rejected') expectType<CallNotPermittedError>()(e.error);
  if (e.type === 'cancelled') {
    // @ts-expect-error a cancelled call has no duration
    void e.duration;
  }
});
expectType<State>()(breaker.state);
expectType<number | undefined>()(new CallNotPermittedError('x', 'open', 5).retryAfter);
// @ts-expect-error the state changes only through commands
breaker.state = 'open';

// Wrong configs do not compile.
// @ts-expect-error an unknown option
circuitBreaker(breaker, { fallbak: () => of(1) });
// @ts-expect-error successOn is 'complete' or 'value'
circuitBreaker(breaker, { successOn: 'first' });
// @ts-expect-error a fallback is a function
circuitBreaker(breaker, { fallback: of(1) });
// @ts-expect-error isResult is a predicate of a value
circuitBreaker(breaker, { isResult: true });
// @ts-expect-error an unknown config field
new CircuitBreaker({ nmae: 'payments' });
// @ts-expect-error a window is a Window, not a size
new CircuitBreaker({ window: 100 });
// @ts-expect-error maxHalfOpenCalls is a number
new CircuitBreaker({ maxHalfOpenCalls: '10' });
// @ts-expect-error a tripper, not a tracker
new CircuitBreaker({ tripper: trackers.all() });
// @ts-expect-error a retry, not a permit
new CircuitBreaker({ retry: permits.all() });
// @ts-expect-error listeners are functions of a Transition
new CircuitBreaker({ listeners: [(t: number) => t] });
// @ts-expect-error the scheduler needs now() and schedule()
new CircuitBreaker({ scheduler: { now: () => 0 } });
// @ts-expect-error onError gets (error, context)
new CircuitBreaker({ onError: (error: unknown, context: string) => void [error, context] });
// @ts-expect-error factories take numbers
trippers.failureRate('0.5');
// @ts-expect-error backoff needs an initial wait
retries.backoff({ max: 1000 });
// @ts-expect-error rampUp needs all three fields
permits.rampUp({ initial: 0.1, final: 1 });
// @ts-expect-error time windows take their bucket in an options object
windows.time(60_000, 1_000);
// @ts-expect-error combinators take another tripper
trippers.minRequests(10).and(0.5);

// Custom components are plain objects implementing the exported interfaces.
const streakOfTwo: Tripper = { trips: (c) => c.consecutiveFailures >= 2 };
const everyOther: Permit = { admits: (_elapsed, random) => random() < 0.5 };
// @ts-expect-error a Window must create its store
const noWindow: Window = { record: () => undefined };
const config: CircuitBreakerConfig = { tripper: streakOfTwo, permit: everyOther };
void [noWindow, config];
