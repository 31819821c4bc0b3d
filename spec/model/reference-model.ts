/**
 * A reference model of SPEC.md: deliberately simple, no optimisation. It keeps every recorded
 * outcome in a plain array and recomputes the window, the metrics and the trials in flight from the
 * lists each time they are needed. Rule numbers in comments refer to SPEC.md.
 *
 * It also models the breaker's reading of its clock (a failed reading is reported once and the last
 * good time stands; a step back becomes an offset on later readings), the re-entrant user code of
 * `BreakerSpec.reentry` (a command issued from a listener, the tripper, `onError` or during a
 * retry's draw wins over the decision under way; listeners see one transition at a time, in
 * order), `openFor`, `execute` with aborts, restores from `toJSON()`, `dispose()`,
 * `halfOpenTrials`, and the `autoHalfOpen` timer (in scheduler time, as the virtual clock runs it).
 * It reads the clock for a call exactly when the breaker does: only if the window, the tripper or
 * a read of `events$` needs the call's time (docs/guide.md, "When calls are timed").
 */
import type { FaultSource, State } from 'rxjs-fluxgate';
import type { ClockFault } from '../helpers/clock';
import {
  TrackedError,
  UntrackedError,
  seeded,
  type BreakerSpec,
  type CommandSpec,
  type TripperSpec,
} from './config-spec';

/** The wait the breaker uses when the retry policy throws. */
const FALLBACK_RETRY_WAIT = 60_000;
/** How many open/half-open rounds one admission goes through before it refuses. */
const MAX_ADMISSION_STEPS = 4;
/** The longest delay one timer holds. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

const MANUAL_STATE = {
  reset: 'closed',
  disable: 'disabled',
  metricsOnly: 'metrics_only',
  forceOpen: 'forced_open',
} as const;

/** What `toJSON()` returns (SPEC 6.1). */
export interface SavedView {
  version: 1;
  name: string;
  state: State;
  changedAt: number;
  reopens: number;
  generation: number;
  retryWait: number | null;
}

/** A rejection as the subscriber sees it (the fields of `CallNotPermittedError` that matter). */
export interface RejectionView {
  readonly rejected: State;
  readonly breakerName: string;
  readonly retryAfter: number | undefined;
}

/** One notification a subscriber got. */
export type Note = ['N', unknown] | ['E', unknown] | ['C'];

/** One event of `events$`, without the name. */
export type EventView =
  | { type: 'success'; at: number; duration: number }
  | { type: 'failure'; at: number; duration: number; error: unknown }
  | { type: 'ignored'; at: number; error: unknown }
  | { type: 'cancelled'; at: number }
  | { type: 'rejected'; at: number; error: RejectionView };

export interface TransitionView {
  readonly from: State;
  readonly to: State;
  readonly at: number;
}

/** How a call is made: the operator options and whether `take(1)` follows the operator. */
export interface CallOptions {
  readonly successOnValue: boolean;
  readonly take1: boolean;
  readonly fallback: boolean;
}

/** The value the fallback of the test calls emits. */
export const FALLBACK_VALUE = 'fallback';

export interface ModelCall {
  /** Through the operator, or `execute(fn, signal)` (SPEC 6.3). */
  readonly kind: 'observable' | 'execute';
  readonly options: CallOptions;
  /** What an `execute` call rejects with when aborted. */
  readonly reason: string;
  /** Made on a breaker since replaced by `restore`: its outcome reaches the subscriber only. */
  orphan: boolean;
  /** Admitted in this generation (undefined for refused and passed-through calls). */
  readonly generation: number | undefined;
  /** Admitted as a trial call in `half_open`. */
  readonly trial: boolean;
  /** When the call started, `NaN` if it was not timed (0 for a call with no outcome). */
  readonly startedAt: number;
  /** The call's outcome has happened (or it has none: refused, passed through). */
  settled: boolean;
  /** The source has emitted a value. */
  emitted: boolean;
  /** The subscriber is still subscribed and has had no terminal notification. */
  active: boolean;
  readonly notes: Note[];
}

interface Recorded {
  readonly at: number;
  readonly failure: boolean;
  readonly duration: number;
}

export interface ModelMetrics {
  totalCount: number;
  failureCount: number;
  /** `null` when the breaker does not time calls for its window and tripper. */
  totalDuration: number | null;
  failureRate: number | null;
  avgDuration: number | null;
  slowCounts: Record<number, number>;
}

export interface ModelInfo {
  name: string;
  state: State;
  changedAt: number;
  reopens: number;
  consecutiveFailures: number;
  notPermittedCount: number;
  metrics: ModelMetrics;
}

/** Whether the tripper tree reads a duration (then the breaker times every call). */
function usesDurations(t: TripperSpec): boolean {
  switch (t.kind) {
    case 'slowRate':
    case 'avgLatency':
      return true;
    case 'and':
    case 'or':
      return usesDurations(t.a) || usesDurations(t.b);
    case 'not':
      return usesDurations(t.a);
    default:
      return false;
  }
}

function slowThresholds(t: TripperSpec): number[] {
  switch (t.kind) {
    case 'slowRate':
      return [t.t];
    case 'and':
    case 'or':
      return [...slowThresholds(t.a), ...slowThresholds(t.b)];
    case 'not':
      return slowThresholds(t.a);
    default:
      return [];
  }
}

export class ReferenceModel {
  state: State = 'closed';
  changedAt: number;
  reopens = 0;
  /** Counts transitions (rule 2.4). */
  generation: number;
  /** The retry wait drawn on entering `open`. */
  retryWait = 0;
  streak = 0;
  notPermitted = 0;
  /** Trial outcomes recorded in this half-open period (SPEC 6.5). */
  trialOutcomes = 0;
  /** Every outcome recorded since the window was last cleared, oldest first. */
  records: Recorded[] = [];
  readonly calls: ModelCall[] = [];
  readonly events: EventView[] = [];
  readonly transitions: TransitionView[] = [];
  readonly states: State[];
  /** The sources reported to `onError`, in order. */
  readonly reports: FaultSource[] = [];

  // The scheduler's clock, as the test sets it, and the breaker's reading of it (its Clock).
  /** `scheduler.now()` when it answers. */
  raw: number;
  /** What the scheduler's readings do now. */
  mode: ClockFault = 'ok';
  private lastRaw = -Infinity;
  private offset: number;
  private last = 0;
  private faulty = false;

  /** The `autoHalfOpen` move, while one is scheduled: its due time in scheduler time. */
  probe: { due: number } | undefined;
  private random: () => number;
  private retryCalls = 0;
  private readonly thresholds: number[];
  /** The window or the tripper needs a time or a duration: every call is timed. */
  private readonly timesCalls: boolean;
  /** `events$` has been read: calls start timed from then on (events carry durations). */
  private eventsRead: boolean;
  /** The state last announced, and the announcements not yet delivered to listeners. */
  private announced: State;
  private readonly queue: State[] = [];
  private draining = false;
  /** SPEC 6.4: `dispose()` was called: no more timers, and the streams have completed. */
  disposed = false;
  /** Which hooks have fired in this step (each fires once per step at most). */
  private fired = { listener: false, tripper: false, onError: false, event: false };

  /**
   * @param start The scheduler's time.
   * @param from For a model taking over a breaker part-way: its clock offset and generation.
   */
  constructor(
    readonly spec: BreakerSpec,
    readonly name: string,
    start: number,
    from: { offset?: number; generation?: number } = {},
  ) {
    this.raw = start;
    this.offset = from.offset ?? 0;
    this.generation = from.generation ?? 0;
    this.changedAt = this.now();
    this.random = seeded(spec.seed);
    this.thresholds = [...new Set(slowThresholds(spec.tripper))];
    this.timesCalls = spec.window.kind === 'time' || usesDurations(spec.tripper);
    this.eventsRead = spec.watchEvents !== false;
    this.announced = this.state;
    this.states = [this.state];
  }

  // ------------------------------------------------------------------------------- the clock

  /**
   * One reading of the breaker's clock: a fault is reported once until the clock recovers, and
   * the last good time is used; a step back is added to every later reading.
   */
  now(): number {
    if (this.mode !== 'ok') {
      if (!this.faulty) {
        this.faulty = true;
        this.report('scheduler');
      }
      return this.last;
    }
    this.faulty = false;
    if (this.raw < this.lastRaw) this.offset += this.lastRaw - this.raw;
    this.lastRaw = this.raw;
    return (this.last = this.raw + this.offset);
  }

  /** Time passes: the `autoHalfOpen` move runs when its due time comes. */
  advance(ms: number): void {
    const target = this.raw + ms;
    while (this.probe !== undefined && this.probe.due <= target) {
      this.raw = Math.max(this.raw, this.probe.due);
      this.probe = undefined;
      this.fireProbe();
    }
    this.raw = target;
  }

  /** The clock steps back; a pending timer keeps its remaining delay, as the event loop's do. */
  stepBack(ms: number): void {
    this.raw -= ms;
    if (this.probe !== undefined) this.probe = { due: this.probe.due - ms };
  }

  /** A new step: each re-entrant hook may fire once more. */
  beginStep(): void {
    this.fired = { listener: false, tripper: false, onError: false, event: false };
  }

  // ------------------------------------------------------------------------------- the window

  /** The records the window holds at `now`. */
  held(now: number): Recorded[] {
    const w = this.spec.window;
    if (w.kind === 'count') return this.records.slice(-w.size);
    // A time window of whole buckets: a record counts while fewer than floor(duration / bucket)
    // buckets have started since the one it landed in.
    const buckets = Math.floor(w.duration / w.bucket);
    const nowBucket = Math.floor(now / w.bucket);
    return this.records.filter((r) => nowBucket - Math.floor(r.at / w.bucket) < buckets);
  }

  metrics(now: number): ModelMetrics {
    const held = this.held(now);
    let failureCount = 0;
    let totalDuration = 0;
    for (const r of held) {
      if (r.failure) failureCount += 1;
      totalDuration += r.duration;
    }
    const slowCounts: Record<number, number> = {};
    for (const t of this.thresholds) {
      // Rule 2.3: a success is slow for a threshold its duration reaches; a failure never is.
      slowCounts[t] = held.filter((r) => !r.failure && r.duration >= t).length;
    }
    const n = held.length;
    return {
      totalCount: n,
      failureCount,
      totalDuration: this.timesCalls ? totalDuration : null,
      failureRate: n === 0 ? null : failureCount / n,
      avgDuration: n === 0 || !this.timesCalls ? null : totalDuration / n,
      slowCounts,
    };
  }

  info(): ModelInfo {
    const now = this.now();
    return {
      name: this.name,
      state: this.state,
      changedAt: this.changedAt,
      reopens: this.reopens,
      consecutiveFailures: this.streak,
      notPermittedCount: this.notPermitted,
      metrics: this.metrics(now),
    };
  }

  /** SPEC 6.1. */
  toJSON(): SavedView {
    return {
      version: 1,
      name: this.name,
      state: this.state,
      changedAt: this.changedAt,
      reopens: this.reopens,
      generation: this.generation,
      retryWait: this.retryWait === Infinity ? null : this.retryWait,
    };
  }

  /** Trial calls admitted in this half-open period whose outcome has not happened. */
  trialsInFlight(): number {
    return this.calls.filter(
      (c) => c.trial && !c.orphan && c.generation === this.generation && !c.settled,
    ).length;
  }

  // ------------------------------------------------------------------------------- components

  private trips(t: TripperSpec, m: ModelMetrics): boolean {
    switch (t.kind) {
      case 'minRequests':
        return m.totalCount >= t.n;
      case 'failureRate':
        return m.totalCount > 0 && m.failureCount / m.totalCount >= t.r;
      case 'failureStreak':
        return this.streak >= t.n;
      case 'slowRate':
        return m.totalCount > 0 && (m.slowCounts[t.t] ?? 0) / m.totalCount >= t.r;
      case 'avgLatency':
        return m.totalCount > 0 && (m.totalDuration ?? 0) / m.totalCount >= t.ms;
      case 'closed':
        return this.state === 'closed';
      case 'halfOpened':
        return this.state === 'half_open';
      case 'and':
        return this.trips(t.a, m) && this.trips(t.b, m);
      case 'or':
        return this.trips(t.a, m) || this.trips(t.b, m);
      case 'not':
        return !this.trips(t.a, m);
    }
  }

  private tracks(error: unknown): boolean {
    switch (this.spec.tracker) {
      case 'all':
        return true;
      case 'typeOf':
        return error instanceof TrackedError;
      case 'notUntracked':
        return !(error instanceof UntrackedError);
    }
  }

  /** The retry wait for an opening after `reopens` reopens, drawn once (jitter included). */
  private drawWait(reopens: number): number {
    const every = this.spec.reentry?.retryThrowsEvery;
    if (every !== undefined && ++this.retryCalls % every === 0) {
      // Rule 2.8: reported, and the breaker waits its fallback instead.
      this.report('retry');
      return FALLBACK_RETRY_WAIT;
    }
    const r = this.spec.retry;
    let wait: number;
    let jitter = 0;
    switch (r.kind) {
      case 'always':
        return 0;
      case 'never':
        return Infinity;
      case 'cooldown':
        wait = r.ms;
        jitter = r.jitter;
        break;
      case 'backoff':
        wait = Math.min(r.initial * r.multiplier ** reopens, r.max);
        jitter = r.jitter;
        break;
    }
    if (jitter === 0) return wait;
    // A factor in [1 - jitter, 1 + jitter].
    return wait * (1 + jitter * (2 * this.random() - 1));
  }

  private permits(elapsed: number): boolean {
    const p = this.spec.permit;
    switch (p.kind) {
      case 'all':
        return true;
      case 'random':
        return this.random() < p.ratio;
      case 'rampUp': {
        // From `initial`, even when the time since half_open reads as negative: a breaker
        // restored while its clock cannot be read keeps the saved changedAt, ahead of its now.
        const chance =
          elapsed >= p.duration
            ? p.final
            : p.initial + ((p.final - p.initial) / p.duration) * Math.max(0, elapsed);
        return this.random() < chance;
      }
    }
  }

  // ------------------------------------------------------------------------------- user code

  /** Something was reported to `onError`, which may issue a command. */
  private report(source: FaultSource): void {
    this.reports.push(source);
    const hook = this.spec.reentry?.onError;
    if (hook !== undefined && hook.on === source && !this.fired.onError) {
      this.fired.onError = true;
      this.issue(hook.command);
    }
  }

  private issue(command: CommandSpec): void {
    if (command.t === 'openFor') this.openFor(command.ms);
    else this.command(MANUAL_STATE[command.command]);
  }

  /** The listeners, for one delivered transition. */
  private listen(to: State): void {
    const hook = this.spec.reentry?.listener;
    if (hook === undefined || hook.on !== to) return;
    if (!this.fired.listener) {
      this.fired.listener = true;
      this.issue(hook.command);
    }
    if (hook.throws) this.report('listener');
  }

  // ------------------------------------------------------------------------------- transitions

  /**
   * Rule 2.6, through the transition table: the new snapshot is computed (drawing the retry wait,
   * which user code may interrupt), and dropped if user code moved the breaker meanwhile.
   */
  private moveTo(to: State, manual: boolean, wait?: number): void {
    const generation = this.generation;
    const from = this.state;
    const now = this.now();
    const reopens =
      to === 'closed'
        ? 0
        : !manual && from === 'half_open' && to === 'open'
          ? this.reopens + 1
          : this.reopens;
    const retryWait = to === 'open' ? (wait ?? this.drawWait(reopens)) : 0;
    if (this.generation !== generation) return;
    // Entering the state.
    this.records = [];
    this.notPermitted = 0;
    this.trialOutcomes = 0;
    if (to === 'closed' || to === 'half_open') this.streak = 0;
    this.state = to;
    this.changedAt = now;
    this.reopens = reopens;
    this.generation += 1;
    this.retryWait = retryWait;
    this.scheduleProbe();
    this.announce();
  }

  /** `state$`, `transitions$` and the listeners, one transition at a time, in order. */
  private announce(): void {
    const to = this.state;
    if (to === this.announced) return;
    if (!this.disposed) {
      this.transitions.push({ from: this.announced, to, at: this.changedAt });
      this.states.push(to);
    }
    this.announced = to;
    this.queue.push(to);
    if (this.draining) return;
    this.draining = true;
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      this.listen(next);
    }
    this.draining = false;
  }

  /** SPEC 6.4: with `autoHalfOpen`, an open breaker schedules its move at the end of its wait. */
  private scheduleProbe(): void {
    this.probe = undefined;
    if (this.spec.autoHalfOpen !== true || this.disposed || this.state !== 'open') return;
    if (this.retryWait === Infinity) return;
    const remaining = this.changedAt + this.retryWait - this.now();
    this.probe = { due: this.raw + Math.min(MAX_TIMER_DELAY, Math.max(0, remaining)) };
  }

  private fireProbe(): void {
    const now = this.now();
    if (this.changedAt + this.retryWait - now > 0) this.scheduleProbe();
    else this.moveTo('half_open', false);
  }

  /** `reset()`, `disable()`, `metricsOnly()`, `forceOpen()`. */
  command(to: State): void {
    if (this.state === to) {
      // Rule 2.6: a command to the current state clears the window and emits nothing.
      this.records = [];
      return;
    }
    this.moveTo(to, true);
  }

  /** SPEC 6.2: open for exactly `ms`, from any state; while open, a new wait and no emission. */
  openFor(ms: number): void {
    this.moveTo('open', true, ms);
  }

  /** SPEC 6.4: timers cancelled for good, streams completed; calls are still judged. */
  dispose(): void {
    this.disposed = true;
    this.probe = undefined;
  }

  /** `events$` is read for the first time. */
  watchEvents(): void {
    this.eventsRead = true;
  }

  /** Whether an event would reach a subscriber of `events$` now. */
  private get observed(): boolean {
    return this.eventsRead && !this.disposed;
  }

  /** An event of `events$`, if someone observes it (not after `dispose()`, which completed it). */
  private emit(event: EventView): void {
    if (!this.observed) return;
    this.events.push(event);
    const hook = this.spec.reentry?.event;
    if (hook !== undefined && hook.on === event.type && !this.fired.event) {
      this.fired.event = true;
      this.issue(hook.command);
    }
  }

  /**
   * SPEC 6.1: a new breaker starts from `JSON.parse(JSON.stringify(this.toJSON()))`. Its clock
   * is new (no offset), a saved time ahead of it is clamped to now, windows are empty; calls in
   * flight belong to the old breaker.
   */
  restore(): void {
    for (const c of this.calls) c.orphan = true;
    // The new breaker's clock: no offset, no good reading yet, and 0 as its last reading.
    this.lastRaw = -Infinity;
    this.offset = 0;
    this.last = 0;
    this.faulty = false;
    this.random = seeded(this.spec.seed);
    this.retryCalls = 0;
    this.disposed = false;
    // SPEC 6.1: a saved time ahead of the clock counts from now; with no good reading at all,
    // the saved time stands.
    const now = this.now();
    if (this.lastRaw !== -Infinity) this.changedAt = Math.min(this.changedAt, now);
    this.records = [];
    this.streak = 0;
    this.notPermitted = 0;
    this.trialOutcomes = 0;
    this.states.push(this.state);
    this.announced = this.state;
    this.scheduleProbe();
  }

  // ------------------------------------------------------------------------------- calls

  private reject(now: number): RejectionView {
    this.notPermitted += 1;
    // SPEC 6.6: whole milliseconds, rounded up, never negative.
    const retryAfter =
      this.state === 'open' && this.retryWait !== Infinity
        ? Math.max(0, Math.ceil(this.changedAt + this.retryWait - now))
        : undefined;
    const error: RejectionView = { rejected: this.state, breakerName: this.name, retryAfter };
    this.emit({ type: 'rejected', at: now, error });
    return error;
  }

  /** Rule 2.1: admission at subscribe time. */
  private admit():
    { rejected: RejectionView } | { generation: number | undefined; trial: boolean } {
    for (let step = 0; ; step++) {
      switch (this.state) {
        case 'closed':
        case 'metrics_only':
          return { generation: this.generation, trial: false };
        case 'disabled':
          return { generation: undefined, trial: false };
        case 'forced_open':
          return { rejected: this.reject(this.now()) };
      }
      const now = this.now();
      if (step >= MAX_ADMISSION_STEPS) return { rejected: this.reject(now) };
      if (this.state === 'open') {
        if (now - this.changedAt >= this.retryWait) {
          this.moveTo('half_open', false);
          continue;
        }
        return { rejected: this.reject(now) };
      }
      if (now - this.changedAt >= this.spec.maxHalfOpenDuration) {
        this.moveTo('open', false);
        continue;
      }
      if (!this.permits(now - this.changedAt)) return { rejected: this.reject(now) };
      if (this.trialsInFlight() >= this.spec.maxHalfOpenCalls)
        return { rejected: this.reject(now) };
      return { generation: this.generation, trial: true };
    }
  }

  /** Rules 2.5 and 6.5; the tripper may issue a command, which then wins. */
  private evaluate(failure: boolean, now: number, generation: number): void {
    // An `events$` subscriber that moved the breaker while told of the outcome: it wins.
    if (this.generation !== generation) return;
    const state = this.state;
    if (state !== 'closed' && state !== 'half_open') return;
    const sample = state === 'half_open' ? this.spec.halfOpenTrials : undefined;
    if (sample !== undefined && ++this.trialOutcomes < sample) return;
    const trips = this.trips(this.spec.tripper, this.metrics(now));
    const hook = this.spec.reentry?.tripper;
    if (hook !== undefined && hook.on === state && !this.fired.tripper) {
      this.fired.tripper = true;
      this.issue(hook.command);
    }
    if (this.generation !== generation) return;
    if (state === 'closed') {
      if (trips) this.moveTo('open', false);
    } else if (sample !== undefined) {
      this.moveTo(trips ? 'open' : 'closed', false);
    } else if (failure ? trips : !trips) {
      this.moveTo(failure ? 'open' : 'closed', false);
    }
  }

  private isCurrent(call: ModelCall): boolean {
    return !call.orphan && call.generation !== undefined && call.generation === this.generation;
  }

  /**
   * The time at the end of a call, and its duration: read only for a timed call. A call not
   * timed records a duration of 0 (never reported: the metrics say `null` then), and its success
   * or failure is not told on `events$`.
   */
  private end(call: ModelCall): { now: number | undefined; duration: number } {
    if (Number.isNaN(call.startedAt)) return { now: undefined, duration: 0 };
    const now = this.now();
    return { now, duration: Math.max(0, now - call.startedAt) };
  }

  private success(call: ModelCall): void {
    call.settled = true;
    if (call.orphan) return;
    const { now, duration } = this.end(call);
    const current = this.isCurrent(call);
    const generation = this.generation;
    if (current) {
      this.streak = 0;
      this.records.push({ at: now ?? this.last, failure: false, duration });
    }
    if (now !== undefined) this.emit({ type: 'success', at: now, duration });
    if (current) this.evaluate(false, now ?? this.last, generation);
  }

  private error(call: ModelCall, error: unknown): void {
    call.settled = true;
    if (call.orphan) return;
    const { now, duration } = this.end(call);
    const tracked = this.tracks(error);
    const current = this.isCurrent(call);
    const generation = this.generation;
    if (current && tracked) {
      this.streak += 1;
      this.records.push({ at: now ?? this.last, failure: true, duration });
    }
    if (this.observed) {
      // An ignored error needs no duration: it is told even for a call not timed.
      if (!tracked) this.emit({ type: 'ignored', at: now ?? this.now(), error });
      else if (now !== undefined) this.emit({ type: 'failure', at: now, duration, error });
    }
    if (current && tracked) this.evaluate(true, now ?? this.last, generation);
  }

  /** The subscriber unsubscribes (rule 2.2), or an `execute` call is aborted (SPEC 6.3). */
  private unsubscribed(call: ModelCall): void {
    call.active = false;
    if (call.settled) return;
    if (call.emitted) {
      this.success(call);
      return;
    }
    call.settled = true;
    // With nobody observing `events$`, the breaker does not even read the time.
    if (!call.orphan && this.observed) this.emit({ type: 'cancelled', at: this.now() });
  }

  /** Ends a subscriber with `error`, or with the fallback's value (rule 2.7). */
  private deliverError(call: ModelCall, error: unknown): void {
    call.active = false;
    if (call.options.fallback) call.notes.push(['N', FALLBACK_VALUE], ['C']);
    else call.notes.push(['E', error]);
  }

  private newCall(
    kind: ModelCall['kind'],
    options: CallOptions,
    reason: string,
    verdict: { generation: number | undefined; trial: boolean } | undefined,
  ): ModelCall {
    const call: ModelCall = {
      kind,
      options,
      reason,
      orphan: false,
      generation: verdict?.generation,
      trial: verdict?.trial ?? false,
      // A call passed through reads no time; nor does one nothing needs the duration of.
      startedAt:
        verdict?.generation === undefined
          ? 0
          : this.timesCalls || this.eventsRead
            ? this.now()
            : NaN,
      // Disabled passes the call through: it has no outcome at all.
      settled: verdict?.generation === undefined,
      emitted: false,
      active: true,
      notes: [],
    };
    this.calls.push(call);
    return call;
  }

  start(options: CallOptions): ModelCall {
    const verdict = this.admit();
    if ('rejected' in verdict) {
      const call = this.newCall('observable', options, '', undefined);
      this.deliverError(call, verdict.rejected);
      return call;
    }
    return this.newCall('observable', options, '', verdict);
  }

  /** SPEC 6.3: `execute(fn, signal)`; a signal already aborted calls, refuses and records nothing. */
  execute(preAborted: boolean, reason: string): ModelCall {
    if (preAborted) {
      const call = this.newCall('execute', PROMISE_OPTIONS, reason, undefined);
      call.active = false;
      call.notes.push(['E', reason]);
      return call;
    }
    const verdict = this.admit();
    if ('rejected' in verdict) {
      const call = this.newCall('execute', PROMISE_OPTIONS, reason, undefined);
      this.deliverError(call, verdict.rejected);
      return call;
    }
    return this.newCall('execute', PROMISE_OPTIONS, reason, verdict);
  }

  /** A value: for an `execute` call, `fn` resolves with it. */
  next(call: ModelCall, value: unknown): void {
    if (call.kind === 'execute') {
      this.resolve(call, value);
      return;
    }
    if (!call.settled) {
      call.emitted = true;
      if (call.options.successOnValue) this.success(call);
    }
    call.notes.push(['N', value]);
    if (call.options.take1) {
      call.notes.push(['C']);
      this.unsubscribed(call);
    }
  }

  /** The source completes: for an `execute` call, `fn` resolves with `undefined`. */
  complete(call: ModelCall): void {
    if (call.kind === 'execute') {
      this.resolve(call, undefined);
      return;
    }
    if (!call.settled) this.success(call);
    call.active = false;
    call.notes.push(['C']);
  }

  private resolve(call: ModelCall, value: unknown): void {
    if (!call.settled) this.success(call);
    call.active = false;
    call.notes.push(['N', value]);
  }

  fail(call: ModelCall, error: unknown): void {
    if (!call.settled) this.error(call, error);
    this.deliverError(call, error);
  }

  /** The subscriber unsubscribes; an `execute` call's controller aborts. */
  cancel(call: ModelCall): void {
    this.unsubscribed(call);
    if (call.kind === 'execute') call.notes.push(['E', call.reason]);
  }

  activeCalls(): ModelCall[] {
    return this.calls.filter((c) => c.active);
  }
}

/** The options an `execute` call behaves by (no fallback, success when `fn` resolves). */
const PROMISE_OPTIONS: CallOptions = { successOnValue: false, take1: false, fallback: false };
