import { Subscription, type Observable, type Observer, type Subscriber } from 'rxjs';
import { PASS_THROUGH, type CallProtocol } from '../breaker/protocol';

/** What every call made through one operator shares. @internal */
export interface CallPlan {
  readonly breaker: CallProtocol;
  readonly successOnValue: boolean;
  readonly isResult: ((value: unknown) => boolean) | undefined;
  /** Ends a call with `error`, or continues it with the fallback's values. */
  readonly fail: (subscriber: Subscriber<unknown>, error: unknown) => void;
}

/** Ends a call with its error: the plan of a call without a fallback. @internal */
export function passError(subscriber: Subscriber<unknown>, error: unknown): void {
  subscriber.error(error);
}

/**
 * Makes one call of `source` for `subscriber`: admitted or refused now (SPEC rule 2.1), and if
 * admitted, the source is subscribed at once with a {@link Call} as its observer.
 *
 * @internal
 */
export function subscribeCall<T>(
  plan: CallPlan,
  source: Observable<T>,
  subscriber: Subscriber<T>,
): void {
  const generation = plan.breaker._acquire();
  if (typeof generation === 'number') {
    const call = new Call<T>(plan, generation, subscriber);
    subscriber.add(call);
    source.subscribe(call);
  } else {
    plan.fail(subscriber as Subscriber<unknown>, generation);
  }
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
    this.startedAt = this.settled ? 0 : plan.breaker._start();
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
    // The source is released first; a teardown that throws still lets the error (or the
    // fallback) through, and its own error then goes up to the source, as in any RxJS operator.
    try {
      super.unsubscribe();
    } finally {
      // A consumer that left while the outcome was recorded (a listener, `takeUntil(state$...)`)
      // gets no fallback started for it.
      if (!this.destination.closed) this.plan.fail(this.destination as Subscriber<unknown>, error);
    }
  }

  complete(): void {
    if (this.closed) return;
    if (!this.settled) this.settle(true);
    try {
      super.unsubscribe();
    } finally {
      this.destination.complete();
    }
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
