import { Subscription, asyncScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';

/**
 * A scheduler whose `now()` the test sets. It schedules like `asyncScheduler` (the breaker itself
 * schedules nothing); only time is under the test's control.
 */
export class ManualClock implements SchedulerLike {
  constructor(public time = 0) {}

  now(): number {
    return this.time;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.time += ms;
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay?: number,
    state?: T,
  ): Subscription {
    return asyncScheduler.schedule(work, delay, state);
  }
}

/** A deterministic source of uniform numbers in [0, 1) that plays back `values` in a loop. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** What a {@link FaultyClock} does at one reading. */
export type ClockFault = 'ok' | 'throw' | 'nan' | 'infinity' | 'string';

/**
 * A {@link ManualClock} that can misbehave as user clocks do: throw, or return `NaN`, `Infinity`
 * or a non-number at chosen readings. `set()` moves time anywhere, back included.
 */
export class FaultyClock extends ManualClock {
  /** Faults to play at the next readings, in order. */
  readonly faults: ClockFault[] = [];
  /** What every reading does once `faults` is used up: `'ok'`, or a fault that lasts until changed. */
  mode: ClockFault = 'ok';
  /** How many times `now()` was read. */
  reads = 0;

  override now(): number {
    this.reads++;
    const fault = this.faults.shift() ?? this.mode;
    switch (fault) {
      case undefined:
      case 'ok':
        return this.time;
      case 'throw':
        throw new Error('clock broke');
      case 'nan':
        return NaN;
      case 'infinity':
        return Infinity;
      case 'string':
        return '12' as unknown as number;
    }
  }

  /** Sets the time (back or forward). */
  set(time: number): void {
    this.time = time;
  }
}

interface VirtualAction {
  due: number;
  readonly run: () => void;
}

/**
 * A {@link FaultyClock} whose `schedule()` runs nothing by itself: it records each action, due at
 * `time + delay`, and `advance()` runs the due ones in order of due time (then of scheduling),
 * with `time` set to each one's due time while it runs. Unsubscribing removes an action. Like the
 * event loop's timers (which `asyncScheduler` uses), a pending action keeps its remaining delay
 * when `set()` moves the time: a clock stepped back does not put timers off.
 */
export class VirtualClock extends FaultyClock {
  private readonly actions: VirtualAction[] = [];

  /** How many actions are scheduled and not yet run or removed. */
  get pending(): number {
    return this.actions.length;
  }

  /** The due times of the pending actions, in the order they will run. */
  dueTimes(): number[] {
    return this.actions.map((a) => a.due);
  }

  override schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay?: number,
    state?: T,
  ): Subscription {
    const subscription = new Subscription(() => {
      const i = this.actions.indexOf(action);
      if (i >= 0) this.actions.splice(i, 1);
    });
    const action: VirtualAction = {
      due: this.time + Math.max(0, delay ?? 0),
      run: () => work.call(subscription as unknown as SchedulerAction<T>, state),
    };
    // Kept sorted by due time; an action scheduled later runs after those due at the same time.
    let at = this.actions.length;
    while (at > 0 && this.actions[at - 1]!.due > action.due) at--;
    this.actions.splice(at, 0, action);
    return subscription;
  }

  override set(time: number): void {
    const shift = time - this.time;
    for (const a of this.actions) a.due += shift;
    this.time = time;
  }

  /** Moves time forward by `ms`, running every action due by then. */
  override advance(ms: number): void {
    const target = this.time + ms;
    for (
      let next = this.actions[0];
      next !== undefined && next.due <= target;
      next = this.actions[0]
    ) {
      this.actions.shift();
      this.time = Math.max(this.time, next.due);
      next.run();
    }
    this.time = target;
  }
}
