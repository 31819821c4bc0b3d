import * as check from '../internal/validate';

/**
 * The running totals a {@link WindowStore} keeps. `slowCounts[i]` counts the recorded successes
 * whose duration reached the `i`-th slow threshold given to {@link Window.create}.
 */
export interface WindowTotals {
  /** Recorded calls (successes and failures). */
  readonly totalCount: number;
  /** Recorded failures. */
  readonly failureCount: number;
  /** Sum of the recorded calls' durations (ms). */
  readonly totalDuration: number;
  /** Slow successes per threshold, in the order of the thresholds. */
  readonly slowCounts: ArrayLike<number>;
}

/**
 * The recorded calls of one breaker. The breaker records each success and failure with its
 * duration, reads the totals before it asks the tripper, and clears it on every transition.
 */
export interface WindowStore {
  /** Records one call that ended at `now` (ms), `failure` or not, after `duration` ms. */
  record(now: number, failure: boolean, duration: number): void;
  /**
   * The totals at `now` (a time window first drops what has grown older than its duration). The
   * returned object may be reused by the next call; copy what you keep.
   */
  read(now: number): WindowTotals;
  /** Forgets every recorded call. */
  clear(): void;
}

/**
 * A kind of sliding window: a description that any number of breakers can share, each getting
 * its own {@link WindowStore} from {@link Window.create}. Implement it to write your own.
 */
export interface Window {
  /**
   * Creates the empty store for one breaker. A success is slow for threshold `t` when its duration
   * is `>= t`; failures are never slow. The thresholds come in ascending order, each once.
   */
  create(slowThresholds: readonly number[]): WindowStore;
  /**
   * `false` when the stores never read the `now` they are given (a count window). With a tripper
   * that reads no duration either, the breaker then reads its clock for no call in `closed`,
   * records every duration as 0, and reports `totalDuration` and `avgDuration` as `null`.
   * Missing counts as `true`.
   */
  readonly usesTime?: boolean;
}

/** What trippers and `info()` see of a window: its totals plus the derived rates. */
export interface Metrics {
  /** Recorded calls. */
  readonly totalCount: number;
  /** Recorded failures. */
  readonly failureCount: number;
  /**
   * Sum of recorded durations (ms), or `null` when the breaker does not time calls: with a window
   * and a tripper that need no time (`windows.count` and trippers without `avgLatency` or
   * `slowRate`, the defaults), it does not read the clock for a call at all.
   */
  readonly totalDuration: number | null;
  /** `failureCount / totalCount`, or `null` on an empty window. */
  readonly failureRate: number | null;
  /**
   * `totalDuration / totalCount` (ms), or `null` on an empty window or when `totalDuration` is
   * `null`.
   */
  readonly avgDuration: number | null;
  /** For each `slowRate` threshold (ms) in the tripper tree, the number of recorded slow calls. */
  readonly slowCounts: Readonly<Record<number, number>>;
}

/** The slow counts of a store without thresholds: empty, so it can be shared. */
const NO_SLOW_COUNTS = new Float64Array(0);

/** A count window over the last `size` recorded calls: a ring with running totals, O(1) a call. */
class CountWindowStore implements WindowStore, WindowTotals {
  totalCount = 0;
  failureCount = 0;
  totalDuration = 0;
  readonly slowCounts: Float64Array;
  private next = 0;
  /** The ring, allocated at the first record, so an idle breaker holds none. */
  private failures: Uint8Array | undefined;
  private durations: Float64Array | undefined;
  private slow: Uint8Array | undefined;

  constructor(
    private readonly size: number,
    private readonly thresholds: readonly number[],
  ) {
    this.slowCounts =
      thresholds.length === 0 ? NO_SLOW_COUNTS : new Float64Array(thresholds.length);
  }

  record(_now: number, failure: boolean, duration: number): void {
    const i = this.next;
    const k = this.thresholds.length;
    const failures = (this.failures ??= new Uint8Array(this.size));
    const durations = (this.durations ??= new Float64Array(this.size));
    const slow = k === 0 ? undefined : (this.slow ??= new Uint8Array(this.size * k));
    if (this.totalCount === this.size) {
      this.failureCount -= failures[i]!;
      this.totalDuration -= durations[i]!;
      for (let j = 0; j < k; j++) this.slowCounts[j]! -= slow![i * k + j]!;
    } else {
      this.totalCount++;
    }
    failures[i] = failure ? 1 : 0;
    durations[i] = duration;
    if (failure) this.failureCount++;
    this.totalDuration += duration;
    for (let j = 0; j < k; j++) {
      const isSlow = !failure && duration >= this.thresholds[j]! ? 1 : 0;
      slow![i * k + j] = isSlow;
      this.slowCounts[j]! += isSlow;
    }
    this.next = i + 1 === this.size ? 0 : i + 1;
  }

  read(): WindowTotals {
    return this;
  }

  clear(): void {
    this.totalCount = this.failureCount = this.totalDuration = this.next = 0;
    this.slowCounts.fill(0);
  }
}

/**
 * A time window of `buckets` buckets of `bucket` ms each. A call lands in the bucket of its end
 * time; the window counts the current bucket and the `buckets - 1` before it, so a call stops
 * counting once it is `duration` ms old, whether or not another call has arrived since. Buckets
 * are rotated lazily on `record` and `read`, with running totals, so a call costs O(1).
 */
class TimeWindowStore implements WindowStore, WindowTotals {
  totalCount = 0;
  failureCount = 0;
  totalDuration = 0;
  readonly slowCounts: Float64Array;
  /** The epoch (`floor(now / bucket)`) of the newest bucket. */
  private head = -Infinity;
  private readonly counts: Float64Array;
  private readonly failures: Float64Array;
  private readonly durations: Float64Array;
  private readonly slow: Float64Array;

  constructor(
    private readonly buckets: number,
    private readonly bucket: number,
    private readonly thresholds: readonly number[],
  ) {
    this.slowCounts = new Float64Array(thresholds.length);
    this.counts = new Float64Array(buckets);
    this.failures = new Float64Array(buckets);
    this.durations = new Float64Array(buckets);
    this.slow = new Float64Array(buckets * thresholds.length);
  }

  /** Moves the head to `now`'s bucket, dropping the buckets that fall out; returns its index. */
  private advance(now: number): number {
    const epoch = Math.floor(now / this.bucket);
    if (epoch > this.head) {
      if (epoch - this.head >= this.buckets) {
        this.clear();
      } else {
        for (let e = this.head + 1; e <= epoch; e++) this.drop(this.index(e));
      }
      this.head = epoch;
    }
    // A clock that goes backwards records into the newest bucket.
    return this.index(this.head);
  }

  private index(epoch: number): number {
    const i = epoch % this.buckets;
    return i < 0 ? i + this.buckets : i;
  }

  private drop(i: number): void {
    const k = this.thresholds.length;
    this.totalCount -= this.counts[i]!;
    this.failureCount -= this.failures[i]!;
    this.totalDuration -= this.durations[i]!;
    this.counts[i] = this.failures[i] = this.durations[i] = 0;
    for (let j = 0; j < k; j++) {
      this.slowCounts[j]! -= this.slow[i * k + j]!;
      this.slow[i * k + j] = 0;
    }
  }

  record(now: number, failure: boolean, duration: number): void {
    const i = this.advance(now);
    const k = this.thresholds.length;
    this.counts[i]!++;
    this.totalCount++;
    if (failure) {
      this.failures[i]!++;
      this.failureCount++;
    }
    this.durations[i]! += duration;
    this.totalDuration += duration;
    if (failure) return;
    for (let j = 0; j < k; j++) {
      if (duration >= this.thresholds[j]!) {
        this.slow[i * k + j]!++;
        this.slowCounts[j]!++;
      }
    }
  }

  read(now: number): WindowTotals {
    this.advance(now);
    return this;
  }

  clear(): void {
    this.totalCount = this.failureCount = this.totalDuration = 0;
    this.counts.fill(0);
    this.failures.fill(0);
    this.durations.fill(0);
    this.slow.fill(0);
    this.slowCounts.fill(0);
  }
}

/**
 * The most calls a count window may hold. Its ring takes about 9 bytes a call (more with slow
 * thresholds), allocated at the first call: past this, allocation can fail, and a breaker whose
 * window cannot record never opens.
 */
const MAX_COUNT = 1_000_000;

/** The most buckets a time window may have (it allocates them up front). */
const MAX_BUCKETS = 100_000;

/**
 * Counts the last `size` recorded calls.
 *
 * ## Example
 * ```ts
 * new CircuitBreaker({ window: windows.count(100) });
 * ```
 *
 * @param size How many calls the window holds, an integer from 1 to 1,000,000.
 * @return A {@link Window} any number of breakers can share.
 */
export function count(size: number): Window {
  const n = check.positiveInteger('windows.count(size)', size);
  if (n > MAX_COUNT) {
    throw new RangeError(
      `windows.count(size): expected at most ${MAX_COUNT} (a breaker's ring holds every call it counts), got ${n}`,
    );
  }
  return { create: (thresholds) => new CountWindowStore(n, [...thresholds]), usesTime: false };
}

/** Options of {@link windows.time}. */
export interface TimeWindowOptions {
  /** The width of one bucket, in ms: finite, `> 0` and `<= duration`. Default `min(1000, duration)`. */
  readonly bucket?: number;
}

/**
 * Counts the calls recorded in the last `duration` ms, in buckets of `bucket` ms. A call stops
 * counting once it is `duration` ms old, even if no call has arrived since; with a duration that is
 * not a multiple of the bucket, the window spans the whole buckets that fit in it.
 *
 * ## Example
 * ```ts
 * new CircuitBreaker({ window: windows.time(60_000) }); // the last minute, in 1 s buckets
 * ```
 *
 * @param duration The window's length in ms, finite and `> 0`.
 * @param options `bucket`: the bucket width in ms (default `min(1000, duration)`).
 * @return A {@link Window} any number of breakers can share.
 */
function time(duration: number, options?: TimeWindowOptions): Window {
  const where = 'windows.time';
  const d = check.positiveDuration(`${where}(duration)`, duration);
  const opts = check.options<TimeWindowOptions>(`${where}(duration, options)`, options, ['bucket']);
  const b =
    opts.bucket === undefined
      ? Math.min(1000, d)
      : check.positiveDuration(`${where}(duration, { bucket })`, opts.bucket);
  if (b > d) {
    throw new RangeError(
      `${where}(duration, { bucket }): expected bucket <= duration (${d}), got ${b}`,
    );
  }
  const buckets = Math.floor(d / b);
  if (buckets > MAX_BUCKETS) {
    throw new RangeError(
      `${where}(duration, { bucket }): expected duration / bucket <= ${MAX_BUCKETS}, got ${buckets}`,
    );
  }
  return { create: (thresholds) => new TimeWindowStore(buckets, b, [...thresholds]) };
}

/**
 * Sliding windows: which recorded calls the tripper judges.
 *
 * | factory | holds |
 * | --- | --- |
 * | `count(size)` | the last `size` recorded calls |
 * | `time(duration, { bucket })` | the calls recorded in the last `duration` ms |
 *
 * @namespace
 */
export const windows = /* @__PURE__ */ Object.freeze({ count, time });
