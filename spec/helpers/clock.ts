import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

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
  /** How many times `now()` was read. */
  reads = 0;

  override now(): number {
    this.reads++;
    const fault = this.faults.shift();
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
