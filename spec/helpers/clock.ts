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
