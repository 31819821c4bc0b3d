import { Observable, from, type ObservableInput, type ObservedValueOf } from 'rxjs';
import { CircuitBreaker, isCircuitBreaker } from '../breaker/circuit-breaker';
import type { CircuitBreakerConfig } from '../breaker/config';
import * as check from '../internal/validate';
import { passError, subscribeCall, type CallPlan } from './call';

/** Options of the {@link circuitBreaker} operator. */
export interface CircuitBreakerOptions<O extends ObservableInput<unknown>> {
  /**
   * Gives the values to continue with when the call ends with any error: a refusal
   * (`CallNotPermittedError`), a failure or an ignored error. The outcome is recorded first, so a
   * fallback never changes the metrics; an error thrown by the fallback goes to the subscriber.
   */
  readonly fallback?: (error: unknown) => O;
  /**
   * When a call succeeds: `'complete'` (default) when the source completes; `'value'` at its
   * first value, for sources that never complete (the call's later errors are passed on but not
   * recorded).
   */
  readonly successOn?: 'complete' | 'value';
  /**
   * Which values are the call's result. Others (an `HttpSentEvent`, progress events) pass through
   * but neither make a later unsubscribe a success nor end the call with `successOn: 'value'`.
   * Default: every value. A predicate that throws is reported and its value taken as a result.
   */
  readonly isResult?: (value: unknown) => boolean;
}

/**
 * The operator {@link circuitBreaker} returns: pipe any observable through it. It keeps the
 * source's element type, widened by the fallback's.
 */
export interface CircuitBreakerOperator<F = never> {
  /** Protects `source`: each subscription to the result is one call. */
  <T>(source: Observable<T>): Observable<T | F>;
  /** The breaker that judges the calls (the one given, or the one made from the config). */
  readonly breaker: CircuitBreaker;
}

const OPTION_KEYS: readonly string[] = ['fallback', 'successOn', 'isResult'];

/**
 * Protects an observable with a circuit breaker: each subscription is one call.
 *
 * The call is admitted or refused at subscribe time, and the source is then subscribed at once.
 * Its outcome is one of: a success when the source completes (or at its first value with
 * `successOn: 'value'`, or when the subscriber unsubscribes after a value, as `take(1)`,
 * `firstValueFrom` and `HttpClient` do); a failure or an ignored error when it errors, as the
 * tracker decides; or a cancellation when the subscriber unsubscribes before any value. Values,
 * errors and completion pass through unchanged, and the operator schedules nothing.
 *
 * ```
 * source:   --a--b--|
 * result:   --a--b--|       closed: the call is admitted, then recorded as a success
 * result:   #               open: refused with a CallNotPermittedError
 * ```
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { CircuitBreaker, circuitBreaker, trippers } from 'rxjs-fluxgate';
 *
 * const breaker = new CircuitBreaker({ name: 'users', tripper: trippers.failureStreak(3) });
 * http.get<User>(`/users/${id}`)
 *   .pipe(circuitBreaker(breaker, { fallback: () => of(cachedUser) }))
 *   .subscribe((user) => render(user));
 * ```
 *
 * @param target A shared {@link CircuitBreaker}, or a config from which the operator makes its own
 *   (available as `.breaker`; make the operator once and reuse it, or each one counts apart).
 * @param options `fallback`, `successOn` and `isResult`.
 * @return A pipeable operator with a `breaker` property.
 */
export function circuitBreaker<O extends ObservableInput<unknown> = Observable<never>>(
  target: CircuitBreaker | CircuitBreakerConfig,
  options?: CircuitBreakerOptions<O>,
): CircuitBreakerOperator<ObservedValueOf<O>> {
  const where = 'circuitBreaker(breaker, options)';
  if (target === null || typeof target !== 'object') {
    throw new TypeError(
      `circuitBreaker(breaker): expected a CircuitBreaker or a config object, got ${check.describe(target)}`,
    );
  }
  const breaker = isCircuitBreaker(target) ? target : new CircuitBreaker(target);
  const opts = check.options<CircuitBreakerOptions<O>>(where, options, OPTION_KEYS);
  const fallback =
    opts.fallback === undefined
      ? undefined
      : check.func<(e: unknown) => O>(`${where}.fallback`, opts.fallback);
  const successOn = opts.successOn ?? 'complete';
  if (successOn !== 'complete' && successOn !== 'value') {
    throw new TypeError(
      `${where}.successOn: expected "complete" or "value", got ${check.describe(successOn)}`,
    );
  }
  const successOnValue = successOn === 'value';
  const plan: CallPlan = {
    breaker,
    successOnValue,
    isResult:
      opts.isResult === undefined
        ? undefined
        : check.func<(v: unknown) => boolean>(`${where}.isResult`, opts.isResult),
    fail:
      fallback === undefined
        ? passError
        : (subscriber, error) => {
            let next: Observable<unknown>;
            try {
              next = from(fallback(error));
            } catch (fault) {
              subscriber.error(fault);
              return;
            }
            // Subscribing the subscriber itself ties the fallback to it: leaving ends it too.
            next.subscribe(subscriber);
          },
  };

  const operator = <T>(source: Observable<T>): Observable<T | ObservedValueOf<O>> =>
    new Observable<T | ObservedValueOf<O>>((subscriber) => subscribeCall(plan, source, subscriber));

  return Object.defineProperty(operator, 'breaker', {
    value: breaker,
    enumerable: true,
  }) as CircuitBreakerOperator<ObservedValueOf<O>>;
}
