/**
 * Breaker configurations as plain data, so fast-check can generate and shrink them and both the
 * real breaker and the reference model can be built from the same description.
 */
import fc from 'fast-check';
import {
  permits,
  retries,
  trackers,
  trippers,
  windows,
  type CircuitBreakerConfig,
  type ComposableTripper,
  type Permit,
  type Retry,
  type Tracker,
  type State,
  type Window,
} from 'rxjs-fluxgate';

/** An error the `typeOf` tracker counts. */
export class TrackedError extends Error {
  override readonly name = 'TrackedError';
}

/** An error the `typeOf` tracker does not count. */
export class UntrackedError extends Error {
  override readonly name = 'UntrackedError';
}

export type WindowSpec =
  { kind: 'count'; size: number } | { kind: 'time'; duration: number; bucket: number };

export type TripperSpec =
  | { kind: 'minRequests'; n: number }
  | { kind: 'failureRate'; r: number }
  | { kind: 'failureStreak'; n: number }
  | { kind: 'slowRate'; r: number; t: number }
  | { kind: 'avgLatency'; ms: number }
  | { kind: 'closed' }
  | { kind: 'halfOpened' }
  | { kind: 'and'; a: TripperSpec; b: TripperSpec }
  | { kind: 'or'; a: TripperSpec; b: TripperSpec }
  | { kind: 'not'; a: TripperSpec };

export type RetrySpec =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'cooldown'; ms: number; jitter: number }
  | { kind: 'backoff'; initial: number; multiplier: number; max: number; jitter: number };

export type PermitSpec =
  | { kind: 'all' }
  | { kind: 'random'; ratio: number }
  | { kind: 'rampUp'; initial: number; final: number; duration: number };

/** `all`: every error; `typeOf`: only TrackedError; `notUntracked`: anything but UntrackedError. */
export type TrackerSpec = 'all' | 'typeOf' | 'notUntracked';

/** A manual command, as steps and re-entrant user code issue it. */
export type Manual = 'reset' | 'disable' | 'metricsOnly' | 'forceOpen';
export type CommandSpec = { t: 'manual'; command: Manual } | { t: 'openFor'; ms: number };

/**
 * User code that issues commands from inside the breaker (each hook at most once per step, so no
 * sequence loops): a listener on entering a state (then throwing, if asked), the tripper when
 * consulted in a state (it returns its verdict after), `onError` when told of a fault from a
 * source, an `events$` subscriber when told of an event of a type, and a retry whose every
 * `retryThrowsEvery`-th `wait()` throws (reported as `'retry'`).
 */
export interface ReentrySpec {
  readonly listener: { on: State; command: CommandSpec; throws: boolean } | undefined;
  readonly tripper: { on: 'closed' | 'half_open'; command: CommandSpec } | undefined;
  readonly onError: { on: 'retry' | 'listener'; command: CommandSpec } | undefined;
  readonly event:
    | { on: 'success' | 'failure' | 'ignored' | 'cancelled' | 'rejected'; command: CommandSpec }
    | undefined;
  readonly retryThrowsEvery: number | undefined;
}

export interface BreakerSpec {
  readonly window: WindowSpec;
  readonly tracker: TrackerSpec;
  readonly tripper: TripperSpec;
  readonly retry: RetrySpec;
  readonly permit: PermitSpec;
  readonly maxHalfOpenCalls: number;
  readonly maxHalfOpenDuration: number;
  /** Seeds the `random` given to the breaker (and the same sequence to the model). */
  readonly seed: number;
  /** SPEC 6.5; none when undefined. */
  readonly halfOpenTrials?: number | undefined;
  /** SPEC 6.4. */
  readonly autoHalfOpen?: boolean | undefined;
  /** Re-entrant user code (the real system wires it; `buildConfig` leaves it out). */
  readonly reentry?: ReentrySpec | undefined;
  /**
   * Whether `events$` is read from the start (the default); if not, only from a `watch` step,
   * and until then a breaker whose window and tripper need no time times no call.
   */
  readonly watchEvents?: boolean | undefined;
}

/** A small, seeded, uniform generator in [0, 1) (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ratio = fc.constantFrom(0.01, 0.25, 0.5, 0.75, 1);
const jitter = fc.constantFrom(0, 0, 0.1, 0.5, 0.99);

const windowArb: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.record({ kind: fc.constant('count' as const), size: fc.integer({ min: 1, max: 6 }) }),
  fc
    .record({
      kind: fc.constant('time' as const),
      bucket: fc.integer({ min: 10, max: 500 }),
      buckets: fc.integer({ min: 1, max: 8 }),
      extra: fc.integer({ min: 0, max: 9 }),
    })
    .map(({ kind, bucket, buckets, extra }) => ({
      kind,
      bucket,
      // Not always a multiple of the bucket: the window then spans the whole buckets that fit.
      duration: bucket * buckets + Math.floor((extra * bucket) / 10),
    })),
);

const leafTripper: fc.Arbitrary<TripperSpec> = fc.oneof(
  fc.record({ kind: fc.constant('minRequests' as const), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('failureRate' as const), r: ratio }),
  fc.record({ kind: fc.constant('failureStreak' as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('slowRate' as const),
    r: ratio,
    t: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({ kind: fc.constant('avgLatency' as const), ms: fc.integer({ min: 1, max: 400 }) }),
  fc.constant({ kind: 'closed' as const }),
  fc.constant({ kind: 'halfOpened' as const }),
);

const tripperArb: fc.Arbitrary<TripperSpec> = fc.letrec<{ t: TripperSpec }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafTripper,
    fc.record({ kind: fc.constant('and' as const), a: tie('t'), b: tie('t') }),
    fc.record({ kind: fc.constant('or' as const), a: tie('t'), b: tie('t') }),
    fc.record({ kind: fc.constant('not' as const), a: tie('t') }),
  ),
})).t;

/** Retries with waits up to the given bounds; `never` only when the sequence may stay open. */
function retryArbitrary(bounds: {
  cooldown: number;
  initial: number;
  extra: number;
  never: boolean;
}): fc.Arbitrary<RetrySpec> {
  const finite: fc.Arbitrary<RetrySpec>[] = [
    fc.constant({ kind: 'always' as const }),
    fc.record({
      kind: fc.constant('cooldown' as const),
      ms: fc.integer({ min: 1, max: bounds.cooldown }),
      jitter,
    }),
    fc
      .record({
        initial: fc.integer({ min: 1, max: bounds.initial }),
        multiplier: fc.constantFrom(1.5, 2, 3),
        extra: fc.integer({ min: 0, max: bounds.extra }),
        jitter,
      })
      .map(({ initial, multiplier, extra, jitter: j }) => ({
        kind: 'backoff' as const,
        initial,
        multiplier,
        max: initial + extra,
        jitter: j,
      })),
  ];
  return bounds.never
    ? fc.oneof(finite[0]!, fc.constant({ kind: 'never' as const }), ...finite.slice(1))
    : fc.oneof(...finite);
}

const retryArb = retryArbitrary({ cooldown: 2000, initial: 500, extra: 3000, never: true });

const permitArb: fc.Arbitrary<PermitSpec> = fc.oneof(
  fc.constant({ kind: 'all' as const }),
  fc.record({ kind: fc.constant('random' as const), ratio: fc.constantFrom(0, 0.3, 0.7, 1) }),
  fc
    .record({
      initial: fc.constantFrom(0.1, 0.5, 1),
      up: fc.constantFrom(0, 0.3, 1),
      duration: fc.integer({ min: 1, max: 2000 }),
    })
    .map(({ initial, up, duration }) => ({
      kind: 'rampUp' as const,
      initial,
      final: Math.min(1, initial + up),
      duration,
    })),
);

/** Random breaker configurations, small enough that every state is reached in short sequences. */
export const breakerSpecArb: fc.Arbitrary<BreakerSpec> = fc.record({
  window: windowArb,
  tracker: fc.constantFrom<TrackerSpec>('all', 'typeOf', 'notUntracked'),
  tripper: tripperArb,
  retry: retryArb,
  permit: permitArb,
  maxHalfOpenCalls: fc.integer({ min: 1, max: 4 }),
  maxHalfOpenDuration: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 3000 })),
  seed: fc.integer(),
  halfOpenTrials: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 3 }),
  autoHalfOpen: fc.boolean(),
  watchEvents: fc.boolean(),
});

function buildTripper(t: TripperSpec): ComposableTripper {
  switch (t.kind) {
    case 'minRequests':
      return trippers.minRequests(t.n);
    case 'failureRate':
      return trippers.failureRate(t.r);
    case 'failureStreak':
      return trippers.failureStreak(t.n);
    case 'slowRate':
      return trippers.slowRate(t.r, t.t);
    case 'avgLatency':
      return trippers.avgLatency(t.ms);
    case 'closed':
      return trippers.closed();
    case 'halfOpened':
      return trippers.halfOpened();
    case 'and':
      return buildTripper(t.a).and(buildTripper(t.b));
    case 'or':
      return buildTripper(t.a).or(buildTripper(t.b));
    case 'not':
      return buildTripper(t.a).not();
  }
}

function buildWindow(w: WindowSpec): Window {
  return w.kind === 'count'
    ? windows.count(w.size)
    : windows.time(w.duration, { bucket: w.bucket });
}

function buildRetry(r: RetrySpec): Retry {
  switch (r.kind) {
    case 'always':
      return retries.always();
    case 'never':
      return retries.never();
    case 'cooldown':
      return retries.cooldown(r.ms, { jitter: r.jitter });
    case 'backoff':
      return retries.backoff({
        initial: r.initial,
        multiplier: r.multiplier,
        max: r.max,
        jitter: r.jitter,
      });
  }
}

function buildPermit(p: PermitSpec): Permit {
  switch (p.kind) {
    case 'all':
      return permits.all();
    case 'random':
      return permits.random(p.ratio);
    case 'rampUp':
      return permits.rampUp({ initial: p.initial, final: p.final, duration: p.duration });
  }
}

function buildTracker(t: TrackerSpec): Tracker {
  switch (t) {
    case 'all':
      return trackers.all();
    case 'typeOf':
      return trackers.typeOf(TrackedError);
    case 'notUntracked':
      return trackers.typeOf(UntrackedError).not();
  }
}

/** The real breaker's config for `spec` (without name and scheduler). */
export function buildConfig(spec: BreakerSpec): CircuitBreakerConfig {
  return {
    window: buildWindow(spec.window),
    tracker: buildTracker(spec.tracker),
    tripper: buildTripper(spec.tripper),
    retry: buildRetry(spec.retry),
    permit: buildPermit(spec.permit),
    maxHalfOpenCalls: spec.maxHalfOpenCalls,
    maxHalfOpenDuration: spec.maxHalfOpenDuration,
    random: seeded(spec.seed),
    ...(spec.halfOpenTrials === undefined ? {} : { halfOpenTrials: spec.halfOpenTrials }),
    ...(spec.autoHalfOpen === true ? { autoHalfOpen: true } : {}),
  };
}

/**
 * Configurations that open easily and probe soon, so sequences spend most of their steps around
 * `open` and `half_open` (trial slots, permits, reopens, backoff, `maxHalfOpenDuration`).
 */
export const probingSpecArb: fc.Arbitrary<BreakerSpec> = fc.record({
  window: windowArb,
  tracker: fc.constantFrom<TrackerSpec>('all', 'typeOf', 'notUntracked'),
  tripper: fc.oneof(
    fc.record({ kind: fc.constant('failureStreak' as const), n: fc.integer({ min: 1, max: 2 }) }),
    fc.record({
      kind: fc.constant('and' as const),
      a: fc.record({
        kind: fc.constant('minRequests' as const),
        n: fc.integer({ min: 1, max: 3 }),
      }),
      b: fc.record({ kind: fc.constant('failureRate' as const), r: ratio }),
    }),
    // SPEC 2.5's recipe for needing N good trials: closed rule .or(halfOpened .and(minRequests(N).not())).
    fc
      .record({ n: fc.integer({ min: 1, max: 2 }), need: fc.integer({ min: 1, max: 3 }) })
      .map(({ n, need }): TripperSpec => ({
        kind: 'or',
        a: { kind: 'and', a: { kind: 'closed' }, b: { kind: 'failureStreak', n } },
        b: {
          kind: 'or',
          a: { kind: 'and', a: { kind: 'halfOpened' }, b: { kind: 'failureStreak', n: 1 } },
          b: {
            kind: 'and',
            a: { kind: 'halfOpened' },
            b: { kind: 'not', a: { kind: 'minRequests', n: need } },
          },
        },
      })),
    fc.record({
      kind: fc.constant('or' as const),
      a: fc.record({
        kind: fc.constant('failureStreak' as const),
        n: fc.integer({ min: 1, max: 3 }),
      }),
      b: fc.record({
        kind: fc.constant('slowRate' as const),
        r: ratio,
        t: fc.integer({ min: 1, max: 200 }),
      }),
    }),
  ),
  retry: retryArbitrary({ cooldown: 300, initial: 100, extra: 1000, never: false }),
  permit: permitArb,
  maxHalfOpenCalls: fc.integer({ min: 1, max: 3 }),
  maxHalfOpenDuration: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 1000 })),
  seed: fc.integer(),
  halfOpenTrials: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 3 }),
  autoHalfOpen: fc.boolean(),
  watchEvents: fc.boolean(),
});

const STATE_ARB = fc.constantFrom<State>(
  'closed',
  'open',
  'half_open',
  'metrics_only',
  'disabled',
  'forced_open',
);

export const commandSpecArb: fc.Arbitrary<CommandSpec> = fc.oneof(
  fc
    .constantFrom<Manual>('reset', 'disable', 'metricsOnly', 'forceOpen')
    .map((command) => ({ t: 'manual' as const, command })),
  fc.integer({ min: 1, max: 3000 }).map((ms) => ({ t: 'openFor' as const, ms })),
);

export const reentryArb: fc.Arbitrary<ReentrySpec> = fc.record({
  listener: fc.option(fc.record({ on: STATE_ARB, command: commandSpecArb, throws: fc.boolean() }), {
    nil: undefined,
    freq: 4,
  }),
  tripper: fc.option(
    fc.record({
      on: fc.constantFrom<'closed' | 'half_open'>('closed', 'half_open'),
      command: commandSpecArb,
    }),
    { nil: undefined, freq: 4 },
  ),
  onError: fc.option(
    fc.record({
      on: fc.constantFrom<'retry' | 'listener'>('retry', 'listener'),
      command: commandSpecArb,
    }),
    { nil: undefined, freq: 4 },
  ),
  event: fc.option(
    fc.record({
      on: fc.constantFrom(
        'success' as const,
        'failure' as const,
        'ignored' as const,
        'cancelled' as const,
        'rejected' as const,
      ),
      command: commandSpecArb,
    }),
    { nil: undefined, freq: 4 },
  ),
  retryThrowsEvery: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 3 }),
});

/** Any configuration, or one that probes soon, with re-entrant user code. */
export const reentrantSpecArb: fc.Arbitrary<BreakerSpec> = fc
  .tuple(fc.oneof(breakerSpecArb, probingSpecArb), reentryArb)
  .map(([spec, reentry]) => ({ ...spec, reentry }));
