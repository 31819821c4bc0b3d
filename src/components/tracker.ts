import * as check from '../internal/validate';

/**
 * Decides which errors count as failures. An error it does not track is `ignored`: passed on to
 * the subscriber, but not recorded and leaving the failure streak as it was.
 * Implement it to write your own.
 */
export interface Tracker {
  /** Whether `error` counts as a failure. */
  tracks(error: unknown): boolean;
}

/** A {@link Tracker} that combines with others. Every built-in tracker is one. */
export interface ComposableTracker extends Tracker {
  /** Tracks an error that both this and `other` track. */
  and(other: Tracker): ComposableTracker;
  /** Tracks an error that this or `other` tracks. */
  or(other: Tracker): ComposableTracker;
  /** Tracks an error that this does not track. */
  not(): ComposableTracker;
}

function composable(tracks: (error: unknown) => boolean): ComposableTracker {
  return {
    tracks,
    and(other) {
      const o = check.withMethods<Tracker>('tracker.and(other)', 'a Tracker', ['tracks'], other);
      return composable((e) => tracks(e) && o.tracks(e));
    },
    or(other) {
      const o = check.withMethods<Tracker>('tracker.or(other)', 'a Tracker', ['tracks'], other);
      return composable((e) => tracks(e) || o.tracks(e));
    },
    not: () => composable((e) => !tracks(e)),
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
function typeOf(...ctors: ErrorConstructorLike[]): ComposableTracker {
  if (ctors.length === 0) {
    throw new TypeError('trackers.typeOf(...ctors): expected at least one constructor, got none');
  }
  ctors.forEach((c, i) => check.constructor(`trackers.typeOf(...ctors)[${i}]`, c));
  return composable((e) => ctors.some((c) => e instanceof c));
}

/**
 * Tracks the errors a predicate accepts.
 *
 * ## Example
 * ```ts
 * trackers.custom((e) => e instanceof HttpErrorResponse && e.status >= 500);
 * ```
 *
 * @param predicate Returns `true` for an error that counts as a failure.
 * @return A tracker backed by `predicate`.
 */
function custom(predicate: (error: unknown) => boolean): ComposableTracker {
  const p = check.func<(error: unknown) => boolean>('trackers.custom(predicate)', predicate);
  return composable((e) => p(e) === true);
}

/**
 * Trackers: which errors count as failures. Combine them with `.and()`, `.or()` and `.not()`.
 *
 * | factory | tracks |
 * | --- | --- |
 * | `all()` | every error (the default) |
 * | `typeOf(...ctors)` | instances of any of the classes |
 * | `custom(predicate)` | what the predicate accepts |
 */
export const trackers = /* @__PURE__ */ Object.freeze({ all, typeOf, custom });
