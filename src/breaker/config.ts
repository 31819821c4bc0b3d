import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Listener } from '../components/listener';
// The defaults come from their factories, not the namespaces, so a bundle that imports the
// breaker alone can drop the factories it does not use.
import { rampUp, type Permit } from '../components/permit';
import { cooldown, type Retry } from '../components/retry';
import { all as allErrors, type Tracker } from '../components/tracker';
import { failureRate, minRequests, type Tripper } from '../components/tripper';
import { count, type Window } from '../components/window';
import * as check from '../internal/validate';
import type { BreakerSnapshot } from '../state/snapshot';
import { memoryStore, type StateStore } from '../state/store';
import { restoredSnapshot, type SavedState } from './saved-state';

/**
 * Which piece of user code threw, as reported to `onError`: a component, the `isResult` option,
 * the `scheduler` (a `now()` that threw or was not a finite number), or the `store` (a shared
 * store that could not reach its server).
 */
export type FaultSource =
  | 'listener'
  | 'tracker'
  | 'tripper'
  | 'retry'
  | 'permit'
  | 'window'
  | 'isResult'
  | 'scheduler'
  | 'store';

/** What `onError` is told besides the error. */
export interface FaultContext {
  /** The breaker's name. */
  readonly breaker: string;
  /** The component that threw (or whose promise rejected). */
  readonly source: FaultSource;
}

/** The configuration of a {@link CircuitBreaker}; every field is optional. */
export interface CircuitBreakerConfig {
  /** Names the breaker in errors, events and logs. Default `'default'`. */
  readonly name?: string;
  /** Which recorded calls the tripper judges. Default `windows.count(100)`. */
  readonly window?: Window;
  /** Which errors count as failures. Default `trackers.all()`. */
  readonly tracker?: Tracker;
  /** When to open. Default `trippers.minRequests(100).and(trippers.failureRate(0.5))`. */
  readonly tripper?: Tripper;
  /** When an open breaker may probe. Default `retries.cooldown(60_000)`. */
  readonly retry?: Retry;
  /** Which calls a half-open breaker admits. Default `permits.rampUp({ initial: 0.1, final: 1, duration: 60_000 })`. */
  readonly permit?: Permit;
  /** Trial calls in flight at once in `half_open`, an integer `> 0`. Default 10. */
  readonly maxHalfOpenCalls?: number;
  /**
   * Milliseconds after which a half-open breaker whose trials have not decided goes back to
   * `open` at the next call, `> 0` (`Infinity` allowed). Default `Infinity`.
   */
  readonly maxHalfOpenDuration?: number;
  /** Called on every transition, in order. Default none. */
  readonly listeners?: readonly Listener[];
  /** The source of time (`now()`), so `TestScheduler` drives it. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Uniform numbers in `[0, 1)` for permits and jitter; pass a seeded one for repeatable runs. Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Told of every error thrown by user code the breaker runs. Default: `console.error`. It may be
   * `async`: a rejection is logged with `console.error`.
   */
  readonly onError?: (error: unknown, context: FaultContext) => unknown;
  /**
   * A state saved by `breaker.toJSON()` (or its parsed JSON) to start from (SPEC rule 6.1): an
   * open breaker restored stays open until its wait ends. Default: closed.
   */
  readonly initialState?: SavedState;
  /**
   * When `true`, entering `open` schedules the move to `half_open` for when the wait ends, on the
   * scheduler, so `state$` shows when probing may start even with no traffic (SPEC rule 6.4).
   * `dispose()` cancels it. Default `false`: the move happens at the next call.
   */
  readonly autoHalfOpen?: boolean;
  /**
   * In `half_open`, decide once this many trial outcomes are recorded, not before: tripper true
   * to `open`, false to `closed`, so latency trippers judge the recovery too (SPEC rule 6.5). An
   * integer `> 0`. Default: none (each outcome decides, SPEC rule 2.5).
   */
  readonly halfOpenTrials?: number;
  /**
   * Where the breaker's state lives. Default: in memory. `redisStore()` from
   * `rxjs-fluxgate/redis` shares it with every breaker of the same name in other processes.
   */
  readonly store?: StateStore;
}

/** A config with every field filled in and checked. @internal */
export interface ResolvedConfig {
  readonly name: string;
  readonly window: Window;
  readonly tracker: Tracker;
  readonly tripper: Tripper;
  readonly retry: Retry;
  readonly permit: Permit;
  readonly maxHalfOpenCalls: number;
  readonly maxHalfOpenDuration: number;
  readonly listeners: readonly Listener[];
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly onError: ((error: unknown, context: FaultContext) => unknown) | undefined;
  readonly initialState: BreakerSnapshot | undefined;
  readonly autoHalfOpen: boolean;
  readonly halfOpenTrials: number | undefined;
  readonly store: StateStore;
}

const KEYS: readonly (keyof CircuitBreakerConfig)[] = [
  'name',
  'window',
  'tracker',
  'tripper',
  'retry',
  'permit',
  'maxHalfOpenCalls',
  'maxHalfOpenDuration',
  'listeners',
  'scheduler',
  'random',
  'onError',
  'initialState',
  'autoHalfOpen',
  'halfOpenTrials',
  'store',
];

/** The built-in defaults, made once and shared: they are stateless descriptions. */
interface Defaults {
  readonly window: Window;
  readonly tracker: Tracker;
  readonly tripper: Tripper;
  readonly retry: Retry;
  readonly permit: Permit;
}
let shared: Defaults | undefined;
function defaults(): Defaults {
  return (shared ??= {
    window: count(100),
    tracker: allErrors(),
    tripper: minRequests(100).and(failureRate(0.5)),
    retry: cooldown(60_000),
    permit: rampUp({ initial: 0.1, final: 1, duration: 60_000 }),
  });
}

/** Checks a config and fills in the defaults; throws a `TypeError` or `RangeError` naming the field. @internal */
export function resolveConfig(config: CircuitBreakerConfig | undefined): ResolvedConfig {
  const where = 'CircuitBreaker config';
  const c = check.options<CircuitBreakerConfig>(where, config, KEYS);
  const field = (key: string) => `${where}.${key}`;
  const listeners = c.listeners ?? [];
  if (!Array.isArray(listeners)) {
    throw new TypeError(
      `${field('listeners')}: expected an array of functions, got ${check.describe(listeners)}`,
    );
  }
  // An index loop, not forEach: a hole in a sparse array is a missing listener too.
  for (let i = 0; i < listeners.length; i++) {
    check.func(`${field('listeners')}[${i}]`, listeners[i]);
  }
  const name = c.name === undefined ? 'default' : check.name(field('name'), c.name);
  if (c.autoHalfOpen !== undefined && typeof c.autoHalfOpen !== 'boolean') {
    throw new TypeError(
      `${field('autoHalfOpen')}: expected a boolean, got ${check.describe(c.autoHalfOpen)}`,
    );
  }
  const scheduler = c.scheduler ?? asyncScheduler;
  check.withMethods(field('scheduler'), 'a SchedulerLike', ['now', 'schedule'], scheduler);
  return {
    name,
    window: check.withMethods(
      field('window'),
      'a Window',
      ['create'],
      c.window ?? defaults().window,
    ),
    tracker: check.withMethods(
      field('tracker'),
      'a Tracker',
      ['tracks'],
      c.tracker ?? defaults().tracker,
    ),
    tripper: check.withMethods(
      field('tripper'),
      'a Tripper',
      ['trips'],
      c.tripper ?? defaults().tripper,
    ),
    retry: check.withMethods(field('retry'), 'a Retry', ['wait'], c.retry ?? defaults().retry),
    permit: check.withMethods(
      field('permit'),
      'a Permit',
      ['admits'],
      c.permit ?? defaults().permit,
    ),
    maxHalfOpenCalls: check.positiveInteger(field('maxHalfOpenCalls'), c.maxHalfOpenCalls ?? 10),
    maxHalfOpenDuration: check.positiveOrInfinite(
      field('maxHalfOpenDuration'),
      c.maxHalfOpenDuration ?? Infinity,
    ),
    listeners: [...listeners],
    scheduler,
    random: c.random === undefined ? Math.random : check.func(field('random'), c.random),
    onError:
      c.onError === undefined
        ? undefined
        : check.func<(error: unknown, context: FaultContext) => unknown>(
            field('onError'),
            c.onError,
          ),
    initialState:
      c.initialState === undefined
        ? undefined
        : restoredSnapshot(field('initialState'), name, c.initialState),
    autoHalfOpen: c.autoHalfOpen ?? false,
    halfOpenTrials:
      c.halfOpenTrials === undefined
        ? undefined
        : check.positiveInteger(field('halfOpenTrials'), c.halfOpenTrials),
    store:
      c.store === undefined
        ? memoryStore()
        : check.withMethods<StateStore>(field('store'), 'a StateStore', ['connect'], c.store),
  };
}
