import { Subject, type Subscription } from 'rxjs';
import { circuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from '../../src';

/** What one subscriber saw. */
export interface Seen {
  values: unknown[];
  error?: unknown;
  completed: boolean;
  terminals: number;
}

/** A call in flight: its source (a Subject the test drives) and the subscriber's view of it. */
export interface OpenCall {
  source: Subject<unknown>;
  seen: Seen;
  subscription: Subscription;
}

/** Starts one call through `breaker`: a subscription to a Subject the test then completes, fails or cancels. */
export function startCall(
  breaker: CircuitBreaker,
  options?: CircuitBreakerOptions<Subject<unknown>>,
): OpenCall {
  const source = new Subject<unknown>();
  const seen: Seen = { values: [], completed: false, terminals: 0 };
  const subscription = source.pipe(circuitBreaker(breaker, options)).subscribe({
    next: (v) => seen.values.push(v),
    error: (e: unknown) => {
      seen.error = e;
      seen.terminals++;
    },
    complete: () => {
      seen.completed = true;
      seen.terminals++;
    },
  });
  return { source, seen, subscription };
}

/** Runs one call that succeeds at once. */
export function succeed(breaker: CircuitBreaker): OpenCall {
  const c = startCall(breaker);
  c.source.complete();
  return c;
}

/** Runs one call that fails at once with `error`. */
export function fail(breaker: CircuitBreaker, error: unknown = new Error('boom')): OpenCall {
  const c = startCall(breaker);
  c.source.error(error);
  return c;
}

/** One call through `breaker.protect()` that lasts `ms` of `clock`'s time, then completes or errors. */
export function callLasting(
  breaker: CircuitBreaker,
  clock: { advance(ms: number): void },
  ms: number,
  error?: unknown,
): void {
  const source = new Subject<number>();
  breaker.protect(source).subscribe({ error: () => undefined });
  clock.advance(ms);
  if (error === undefined) source.complete();
  else source.error(error);
}
