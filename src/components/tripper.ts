import * as check from '../internal/validate';
import type { State } from '../state/state';
import type { Metrics } from './window';

/** What a tripper judges: the breaker's state, its window's metrics and its failure streak. */
export interface TripContext {
  /** The current state (`closed` or `half_open` when the breaker asks). */
  readonly state: State;
  /** The window's metrics. */
  readonly metrics: Metrics;
  /** Consecutive recorded failures (0 after any recorded success). */
  readonly consecutiveFailures: number;
}

/**
 * Decides when to open. In `closed` the breaker opens when it trips; in `half_open` a success
 * that leaves it untripped closes the breaker and a failure that trips it reopens it.
 * Implement it to write your own.
 */
export interface Tripper {
  /** Whether the breaker should open (the context object is reused; copy what you keep). */
  trips(context: TripContext): boolean;
  /** The slow-call thresholds (ms) this tripper needs counted in `metrics.slowCounts`. */
  readonly slowThresholds?: readonly number[];
  /**
   * `false` when `trips` never reads `totalDuration`, `avgDuration` or `slowCounts`, so the
   * breaker need not time calls for it (see `Window.usesTime`). Missing counts as `true`.
   */
  readonly usesDurations?: boolean;
}

/** A {@link Tripper} that combines with others. Every built-in tripper is one. */
export interface ComposableTripper extends Tripper {
  readonly slowThresholds: readonly number[];
  readonly usesDurations: boolean;
  /** Trips when both this and `other` trip. */
  and(other: Tripper): ComposableTripper;
  /** Trips when this or `other` trips. */
  or(other: Tripper): ComposableTripper;
  /** Trips when this does not. */
  not(): ComposableTripper;
}

function asTripper(where: string, value: unknown): Tripper {
  return check.withMethods<Tripper>(where, 'a Tripper', ['trips'], value);
}

function union(a: readonly number[], b: readonly number[] | undefined): number[] {
  return [...new Set([...a, ...(b ?? [])])].sort((x, y) => x - y);
}

/**
 * @param usesDurations Whether `trips` reads a duration; a combination does when either side
 *   does (a tripper from elsewhere is assumed to, unless it says otherwise).
 */
function composable(
  trips: (c: TripContext) => boolean,
  slowThresholds: readonly number[] = [],
  usesDurations = slowThresholds.length > 0,
): ComposableTripper {
  const both = (o: Tripper) => usesDurations || o.usesDurations !== false;
  return {
    trips,
    slowThresholds,
    usesDurations,
    and(other) {
      const o = asTripper('tripper.and(other)', other);
      return composable(
        (c) => trips(c) && o.trips(c),
        union(slowThresholds, o.slowThresholds),
        both(o),
      );
    },
    or(other) {
      const o = asTripper('tripper.or(other)', other);
      return composable(
        (c) => trips(c) || o.trips(c),
        union(slowThresholds, o.slowThresholds),
        both(o),
      );
    },
    not: () => composable((c) => !trips(c), slowThresholds, usesDurations),
  };
}

/**
 * True in `closed`: combine with `.and()` for a rule that holds only while closed.
 *
 * @return A tripper that is true when the state is `closed`.
 */
function closed(): ComposableTripper {
  return composable((c) => c.state === 'closed');
}

/**
 * True in `half_open`: combine with `.and()` for a stricter rule while probing.
 *
 * @return A tripper that is true when the state is `half_open`.
 */
function halfOpened(): ComposableTripper {
  return composable((c) => c.state === 'half_open');
}

/**
 * True once the window holds at least `count` recorded calls.
 *
 * @param count An integer `> 0`.
 * @return A tripper that is true when `totalCount >= count`.
 */
export function minRequests(count: number): ComposableTripper {
  const n = check.positiveInteger('trippers.minRequests(count)', count);
  return composable((c) => c.metrics.totalCount >= n);
}

/**
 * True when the share of failures reaches `ratio`; false on an empty window.
 *
 * @param ratio In `(0, 1]`.
 * @return A tripper that is true when `failureCount / totalCount >= ratio`.
 */
export function failureRate(ratio: number): ComposableTripper {
  const r = check.ratio('trippers.failureRate(ratio)', ratio);
  return composable(
    (c) => c.metrics.totalCount > 0 && c.metrics.failureCount / c.metrics.totalCount >= r,
  );
}

/**
 * True when the share of slow calls (successes that took at least `threshold` ms) reaches `ratio`;
 * false on an empty window.
 *
 * ## Example
 * ```ts
 * trippers.minRequests(10).and(trippers.slowRate(0.3, 1_000)); // 30% of calls took 1 s or more
 * ```
 *
 * @param ratio In `(0, 1]`.
 * @param threshold The duration (ms) from which a success is slow: finite and `> 0`.
 * @return A tripper that is true when `slowCounts[threshold] / totalCount >= ratio`.
 */
function slowRate(ratio: number, threshold: number): ComposableTripper {
  const r = check.ratio('trippers.slowRate(ratio, threshold)', ratio);
  const t = check.positiveDuration('trippers.slowRate(ratio, threshold)', threshold);
  return composable(
    (c) => c.metrics.totalCount > 0 && (c.metrics.slowCounts[t] ?? 0) / c.metrics.totalCount >= r,
    [t],
  );
}

/**
 * True when the average duration of the recorded calls reaches `ms`; false on an empty window.
 *
 * @param ms Finite and `> 0`.
 * @return A tripper that is true when `totalDuration / totalCount >= ms`.
 */
function avgLatency(ms: number): ComposableTripper {
  const t = check.positiveDuration('trippers.avgLatency(ms)', ms);
  return composable(
    (c) => c.metrics.totalCount > 0 && (c.metrics.totalDuration ?? 0) / c.metrics.totalCount >= t,
    [],
    true,
  );
}

/**
 * True after `count` consecutive recorded failures, whatever the window holds.
 *
 * @param count An integer `> 0`.
 * @return A tripper that is true when `consecutiveFailures >= count`.
 */
function failureStreak(count: number): ComposableTripper {
  const n = check.positiveInteger('trippers.failureStreak(count)', count);
  return composable((c) => c.consecutiveFailures >= n);
}

/**
 * Trippers: when to open. Combine them with `.and()`, `.or()` and `.not()`; every comparison is
 * `>=` and every metric tripper is false on an empty window.
 *
 * ## Example
 * ```ts
 * trippers.failureStreak(5).or(trippers.minRequests(20).and(trippers.failureRate(0.5)));
 * ```
 *
 * @namespace
 */
export const trippers = /* @__PURE__ */ Object.freeze({
  closed,
  halfOpened,
  minRequests,
  failureRate,
  slowRate,
  avgLatency,
  failureStreak,
});
