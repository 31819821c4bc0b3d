import {
  Observable,
  Subscription,
  from,
  type ObservableInput,
  type ObservedValueOf,
  type Observer,
  type Subscriber,
} from 'rxjs';
import { CircuitBreaker, PASS_THROUGH, isCircuitBreaker } from '../breaker/circuit-breaker';
import type { CircuitBreakerConfig } from '../breaker/config';
import * as check from '../internal/validate';

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

const OPTION_KEYS: ReadonlySet<string> = new Set(['fallback', 'successOn', 'isResult']);

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
  const opts = check.options<CircuitBreakerOptions<O>>(where, options);
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(
        `${where}: unknown option "${key}" (expected fallback, successOn or isResult)`,
      );
    }
  }
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
        ? (subscriber, error) => subscriber.error(error)
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
    new Observable<T | ObservedValueOf<O>>((subscriber) => {
      const generation = breaker._acquire();
      if (typeof generation === 'number') {
        const call = new Call<T>(plan, generation, subscriber);
        subscriber.add(call);
        source.subscribe(call);
      } else {
        plan.fail(subscriber, generation);
      }
    });

  return Object.defineProperty(operator, 'breaker', {
    value: breaker,
    enumerable: true,
  }) as CircuitBreakerOperator<ObservedValueOf<O>>;
}

/** What every call made through one operator shares. */
interface CallPlan {
  readonly breaker: CircuitBreaker;
  readonly successOnValue: boolean;
  readonly isResult: ((value: unknown) => boolean) | undefined;
  /** Ends a call with `error`, or continues it with the fallback's values. */
  readonly fail: (subscriber: Subscriber<unknown>, error: unknown) => void;
}

/**
 * One call: the observer the source is subscribed with. It is also a `Subscription` held by the
 * consumer's subscriber, so RxJS uses it as the source's subscriber directly: when the consumer
 * leaves (even while a synchronous source is still emitting) it is closed at once, the source sees
 * `closed` and stops, and the outcome is recorded as a success (after a value) or a cancellation.
 */
class Call<T> extends Subscription implements Observer<T> {
  private settled: boolean;
  private emitted = false;
  private readonly startedAt: number;

  constructor(
    private readonly plan: CallPlan,
    private readonly generation: number,
    private readonly destination: Subscriber<T>,
  ) {
    super();
    // In `disabled` the call is passed through: settled from the start, so nothing is recorded.
    this.settled = generation === PASS_THROUGH;
    this.startedAt = this.settled ? 0 : plan.breaker.now();
  }

  next(value: T): void {
    if (this.closed) return;
    if (!this.settled && this.counts(value)) {
      this.emitted = true;
      if (this.plan.successOnValue) this.settle(true);
    }
    this.destination.next(value);
  }

  error(error: unknown): void {
    if (this.closed) return;
    if (!this.settled) {
      this.settled = true;
      this.plan.breaker._error(this.generation, this.startedAt, error);
    }
    super.unsubscribe();
    // A consumer that left while the outcome was recorded (a listener, `takeUntil(state$...)`)
    // gets no fallback started for it.
    if (!this.destination.closed) this.plan.fail(this.destination as Subscriber<unknown>, error);
  }

  complete(): void {
    if (this.closed) return;
    if (!this.settled) this.settle(true);
    super.unsubscribe();
    this.destination.complete();
  }

  override unsubscribe(): void {
    if (this.closed) return;
    if (!this.settled) this.settle(this.emitted);
    super.unsubscribe();
  }

  /** Records a success, or (`false`) a cancellation. */
  private settle(success: boolean): void {
    this.settled = true;
    if (success) this.plan.breaker._success(this.generation, this.startedAt);
    else this.plan.breaker._cancel(this.generation);
  }

  private counts(value: T): boolean {
    const isResult = this.plan.isResult;
    if (isResult === undefined) return true;
    try {
      return isResult(value) === true;
    } catch (error) {
      this.plan.breaker._report('isResult', error);
      return true;
    }
  }
}
