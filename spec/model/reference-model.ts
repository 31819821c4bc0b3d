/**
 * A reference model of SPEC.md: deliberately simple, no optimisation. It keeps every recorded
 * outcome in a plain array and recomputes the window, the metrics and the trials in flight from the
 * lists each time they are needed. Rule numbers in comments refer to SPEC.md.
 */
import type { State } from 'rxjs-fluxgate';
import {
  TrackedError,
  UntrackedError,
  seeded,
  type BreakerSpec,
  type TripperSpec,
} from './config-spec';

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
  readonly options: CallOptions;
  /** Admitted in this generation (undefined for refused and passed-through calls). */
  readonly generation: number | undefined;
  /** Admitted as a trial call in `half_open`. */
  readonly trial: boolean;
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
  totalDuration: number;
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
  generation = 0;
  /** The retry wait drawn on entering `open`. */
  retryWait = 0;
  streak = 0;
  notPermitted = 0;
  /** Every outcome recorded since the window was last cleared, oldest first. */
  records: Recorded[] = [];
  readonly calls: ModelCall[] = [];
  readonly events: EventView[] = [];
  readonly transitions: TransitionView[] = [];
  readonly states: State[] = ['closed'];
  private readonly random: () => number;
  private readonly thresholds: number[];

  constructor(
    readonly spec: BreakerSpec,
    readonly name: string,
    public now: number,
  ) {
    this.changedAt = now;
    this.random = seeded(spec.seed);
    this.thresholds = [...new Set(slowThresholds(spec.tripper))];
  }

  // ------------------------------------------------------------------------------- the window

  /** The records the window holds now. */
  held(): Recorded[] {
    const w = this.spec.window;
    if (w.kind === 'count') return this.records.slice(-w.size);
    // A time window of whole buckets: a record counts while fewer than floor(duration / bucket)
    // buckets have started since the one it landed in.
    const buckets = Math.floor(w.duration / w.bucket);
    const nowBucket = Math.floor(this.now / w.bucket);
    return this.records.filter((r) => nowBucket - Math.floor(r.at / w.bucket) < buckets);
  }

  metrics(): ModelMetrics {
    const held = this.held();
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
      totalDuration,
      failureRate: n === 0 ? null : failureCount / n,
      avgDuration: n === 0 ? null : totalDuration / n,
      slowCounts,
    };
  }

  info(): ModelInfo {
    return {
      name: this.name,
      state: this.state,
      changedAt: this.changedAt,
      reopens: this.reopens,
      consecutiveFailures: this.streak,
      notPermittedCount: this.notPermitted,
      metrics: this.metrics(),
    };
  }

  /** Trial calls admitted in this half-open period whose outcome has not happened. */
  trialsInFlight(): number {
    return this.calls.filter((c) => c.trial && c.generation === this.generation && !c.settled)
      .length;
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
        return m.totalCount > 0 && m.totalDuration / m.totalCount >= t.ms;
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
        const chance =
          elapsed >= p.duration
            ? p.final
            : p.initial + ((p.final - p.initial) / p.duration) * elapsed;
        return this.random() < chance;
      }
    }
  }

  // ------------------------------------------------------------------------------- transitions

  /** Rule 2.6. */
  private moveTo(to: State): void {
    const from = this.state;
    if (from === 'half_open' && to === 'open') this.reopens += 1;
    if (to === 'closed') this.reopens = 0;
    if (to === 'closed' || to === 'half_open') this.streak = 0;
    this.state = to;
    this.changedAt = this.now;
    this.generation += 1;
    this.records = [];
    this.notPermitted = 0;
    this.retryWait = to === 'open' ? this.drawWait(this.reopens) : 0;
    this.transitions.push({ from, to, at: this.now });
    this.states.push(to);
  }

  /** `reset()`, `disable()`, `metricsOnly()`, `forceOpen()`. */
  command(to: State): void {
    if (this.state === to) {
      // Rule 2.6: a command to the current state clears the window and emits nothing.
      this.records = [];
      return;
    }
    this.moveTo(to);
  }

  // ------------------------------------------------------------------------------- calls

  private reject(): RejectionView {
    this.notPermitted += 1;
    // SPEC 6.6: whole milliseconds, rounded up, never negative.
    const retryAfter =
      this.state === 'open' && this.retryWait !== Infinity
        ? Math.max(0, Math.ceil(this.changedAt + this.retryWait - this.now))
        : undefined;
    const error: RejectionView = { rejected: this.state, breakerName: this.name, retryAfter };
    this.events.push({ type: 'rejected', at: this.now, error });
    return error;
  }

  /** Rule 2.1: admission at subscribe time. */
  private admit():
    { rejected: RejectionView } | { generation: number | undefined; trial: boolean } {
    for (;;) {
      switch (this.state) {
        case 'closed':
        case 'metrics_only':
          return { generation: this.generation, trial: false };
        case 'disabled':
          return { generation: undefined, trial: false };
        case 'forced_open':
          return { rejected: this.reject() };
        case 'open':
          if (this.now - this.changedAt >= this.retryWait) {
            this.moveTo('half_open');
            continue;
          }
          return { rejected: this.reject() };
        case 'half_open':
          if (this.now - this.changedAt >= this.spec.maxHalfOpenDuration) {
            this.moveTo('open');
            continue;
          }
          if (this.trialsInFlight() >= this.spec.maxHalfOpenCalls)
            return { rejected: this.reject() };
          if (!this.permits(this.now - this.changedAt)) return { rejected: this.reject() };
          return { generation: this.generation, trial: true };
      }
    }
  }

  /** Rule 2.5. */
  private evaluate(failure: boolean): void {
    if (this.state !== 'closed' && this.state !== 'half_open') return;
    const trips = this.trips(this.spec.tripper, this.metrics());
    if (this.state === 'closed') {
      if (trips) this.moveTo('open');
    } else if (failure && trips) {
      this.moveTo('open');
    } else if (!failure && !trips) {
      this.moveTo('closed');
    }
  }

  private isCurrent(call: ModelCall): boolean {
    return call.generation !== undefined && call.generation === this.generation;
  }

  private success(call: ModelCall): void {
    call.settled = true;
    const duration = this.now - call.startedAt;
    this.events.push({ type: 'success', at: this.now, duration });
    if (!this.isCurrent(call)) return; // rule 2.4: stale
    this.streak = 0;
    this.records.push({ at: this.now, failure: false, duration });
    this.evaluate(false);
  }

  private error(call: ModelCall, error: unknown): void {
    call.settled = true;
    const duration = this.now - call.startedAt;
    const tracked = this.tracks(error);
    this.events.push(
      tracked
        ? { type: 'failure', at: this.now, duration, error }
        : { type: 'ignored', at: this.now, error },
    );
    if (!tracked || !this.isCurrent(call)) return;
    this.streak += 1;
    this.records.push({ at: this.now, failure: true, duration });
    this.evaluate(true);
  }

  /** The subscriber unsubscribes (rule 2.2). */
  private unsubscribed(call: ModelCall): void {
    call.active = false;
    if (call.settled) return;
    if (call.emitted) {
      this.success(call);
      return;
    }
    call.settled = true;
    this.events.push({ type: 'cancelled', at: this.now });
  }

  /** Ends a subscriber with `error`, or with the fallback's value (rule 2.7). */
  private deliverError(call: ModelCall, error: unknown): void {
    call.active = false;
    if (call.options.fallback) call.notes.push(['N', FALLBACK_VALUE], ['C']);
    else call.notes.push(['E', error]);
  }

  start(options: CallOptions): ModelCall {
    const startedAt = this.now;
    const verdict = this.admit();
    if ('rejected' in verdict) {
      const call: ModelCall = {
        options,
        generation: undefined,
        trial: false,
        startedAt,
        settled: true,
        emitted: false,
        active: true,
        notes: [],
      };
      this.calls.push(call);
      this.deliverError(call, verdict.rejected);
      return call;
    }
    const call: ModelCall = {
      options,
      generation: verdict.generation,
      trial: verdict.trial,
      startedAt,
      // Disabled passes the call through: it has no outcome at all.
      settled: verdict.generation === undefined,
      emitted: false,
      active: true,
      notes: [],
    };
    this.calls.push(call);
    return call;
  }

  next(call: ModelCall, value: unknown): void {
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

  complete(call: ModelCall): void {
    if (!call.settled) this.success(call);
    call.active = false;
    call.notes.push(['C']);
  }

  fail(call: ModelCall, error: unknown): void {
    if (!call.settled) this.error(call, error);
    this.deliverError(call, error);
  }

  cancel(call: ModelCall): void {
    this.unsubscribed(call);
  }

  activeCalls(): ModelCall[] {
    return this.calls.filter((c) => c.active);
  }
}
