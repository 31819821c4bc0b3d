import type { CallNotPermittedError } from '../errors';

/** Fields every {@link BreakerEvent} carries. */
export interface BreakerEventBase {
  /** The breaker's name. */
  readonly name: string;
  /** When the outcome happened (scheduler time, ms). */
  readonly at: number;
}

/** A call succeeded: its source completed (or emitted, see `successOn`) or it was unsubscribed after a value. */
export interface SuccessEvent extends BreakerEventBase {
  /** The discriminant: `'success'`. */
  readonly type: 'success';
  /** Milliseconds from subscribe to the outcome. */
  readonly duration: number;
}

/** A call ended with an error the tracker counts. */
export interface FailureEvent extends BreakerEventBase {
  /** The discriminant: `'failure'`. */
  readonly type: 'failure';
  /** The error the call ended with. */
  readonly error: unknown;
  /** Milliseconds from subscribe to the error. */
  readonly duration: number;
}

/** A call ended with an error the tracker does not count; nothing was recorded. */
export interface IgnoredEvent extends BreakerEventBase {
  /** The discriminant: `'ignored'`. */
  readonly type: 'ignored';
  /** The error the call ended with, passed on to the subscriber. */
  readonly error: unknown;
}

/** A call was unsubscribed before it emitted anything; nothing was recorded. */
export interface CancelledEvent extends BreakerEventBase {
  /** The discriminant: `'cancelled'`. */
  readonly type: 'cancelled';
}

/** A call was refused by the breaker. */
export interface RejectedEvent extends BreakerEventBase {
  /** The discriminant: `'rejected'`. */
  readonly type: 'rejected';
  /** The refusal the subscriber got (or the fallback was given). */
  readonly error: CallNotPermittedError;
}

/**
 * One event per call outcome, discriminated by `type`. Outcomes of calls admitted before the
 * latest transition (stale outcomes) are emitted too, though they are not recorded.
 */
export type BreakerEvent =
  SuccessEvent | FailureEvent | IgnoredEvent | CancelledEvent | RejectedEvent;
