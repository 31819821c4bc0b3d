import * as check from '../internal/validate';

/**
 * Decides which errors count as failures. An error it does not track is `ignored`: passed on to
 * the subscriber, but not recorded and leaving the failure streak as it was.
 * Implement it to write your own.
 *
 * `E` is the type of the errors it is written for. A breaker asks its tracker about every error,
 * so the breaker's `tracker` is a `Tracker<unknown>`; a narrower tracker is what `.and()` takes
 * after {@link trackers}`.typeOf()`, which only asks it about the instances it matched.
 *
 * @typeParam E The errors `tracks` is given.
 */
export interface Tracker<E = unknown> {
  /** Whether `error` counts as a failure. */
  tracks(error: E): boolean;
}

/**
 * A {@link Tracker} that combines with others. Every built-in tracker is one.
 *
 * @typeParam E The errors `tracks` is given: `unknown` for the built-ins but `custom<E>()`.
 * @typeParam M What an error it tracks is known to be: the instances `trackers.typeOf()` matched,
 * otherwise `E`. It is what `.and()` hands on.
 */
export interface ComposableTracker<E = unknown, M extends E = E> extends Tracker<E> {
  /**
   * Tracks an error that both this and `other` track. `other` is only asked about the errors this
   * one tracks, so after `trackers.typeOf(HttpErrorResponse)` it is given `HttpErrorResponse`s:
   * `trackers.typeOf(HttpErrorResponse).and(trackers.custom((e) => e.status !== 404))`.
   */
  and(other: Tracker<M>): ComposableTracker<E, M>;
  /** Tracks an error that this or `other` tracks. */
  or(other: Tracker<E>): ComposableTracker<E>;
  /** Tracks an error that this does not track. */
  not(): ComposableTracker<E>;
}

function composable<E, M extends E = E>(tracks: (error: E) => boolean): ComposableTracker<E, M> {
  return {
    tracks,
    and(other) {
      const o = check.withMethods<Tracker<M>>('tracker.and(other)', 'a Tracker', ['tracks'], other);
      return composable<E, M>((e) => tracks(e) && o.tracks(e as M));
    },
    or(other) {
      const o = check.withMethods<Tracker<E>>('tracker.or(other)', 'a Tracker', ['tracks'], other);
      return composable<E>((e) => tracks(e) || o.tracks(e));
    },
    not: () => composable<E>((e) => !tracks(e)),
  };
}

/**
 * Tracks every error (the default).
 *
 * @return A tracker that counts any error as a failure.
 */
export function all(): ComposableTracker {
  return composable(() => true);
}

/** Any class (constructor) whose instances are errors, such as `TypeError` or `HttpErrorResponse`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a constructor of any signature
export type ErrorConstructorLike = abstract new (...args: any[]) => unknown;

/**
 * Tracks errors that are instances of any of the given classes.
 *
 * ## Example
 * ```ts
 * trackers.typeOf(TypeError, RangeError);
 * ```
 *
 * @param ctors At least one class.
 * @return A tracker that counts `error instanceof ctor` for any of `ctors`.
 */
function typeOf<C extends ErrorConstructorLike[]>(
  ...ctors: C
): ComposableTracker<unknown, InstanceType<C[number]>> {
  if (ctors.length === 0) {
    throw new TypeError('trackers.typeOf(...ctors): expected at least one constructor, got none');
  }
  ctors.forEach((c, i) => check.constructor(`trackers.typeOf(...ctors)[${i}]`, c));
  return composable<unknown, InstanceType<C[number]>>((e) => ctors.some((c) => e instanceof c));
}

/**
 * Tracks the errors a predicate accepts.
 *
 * The predicate is given every error the tracker is asked about, so its parameter is `unknown`
 * unless the context says more: inside `.and()` after `trackers.typeOf(SomeError)` it is a
 * `SomeError` (the `.and()` only asks about those), and `custom<E>()` states it yourself.
 *
 * ## Example
 * ```ts
 * trackers.custom((e) => e instanceof HttpErrorResponse && e.status >= 500);
 * trackers.typeOf(HttpErrorResponse).and(trackers.custom((e) => e.status !== 404));
 * ```
 *
 * @typeParam E The errors the predicate is given; inferred from where the tracker is used.
 * @param predicate Returns `true` for an error that counts as a failure.
 * @return A tracker backed by `predicate`.
 */
function custom<E = unknown>(predicate: (error: E) => boolean): ComposableTracker<E> {
  const p = check.func<(error: E) => boolean>('trackers.custom(predicate)', predicate);
  return composable<E>((e) => p(e) === true);
}

/**
 * Trackers: which errors count as failures. Combine them with `.and()`, `.or()` and `.not()`.
 *
 * | factory | tracks |
 * | --- | --- |
 * | `all()` | every error (the default) |
 * | `typeOf(...ctors)` | instances of any of the classes |
 * | `custom(predicate)` | what the predicate accepts |
 *
 * @namespace
 */
export const trackers = /* @__PURE__ */ Object.freeze({ all, typeOf, custom });
