import type { SchedulerLike } from 'rxjs';
import { describe } from '../internal/validate';

/**
 * The breaker's reading of its scheduler's `now()`, which is user input like any other (SPEC
 * rule 2.8): it may throw, return something that is not a finite number, or step back (NTP, a
 * resumed VM, a test resetting time).
 *
 * - A reading that throws or is not finite is reported (once until the clock recovers) and the
 *   last good time is used, so nothing non-finite is ever stored.
 * - When the clock steps back, time carries on from the last reading: the step is added to every
 *   later reading. So no wait lasts longer than it was drawn for, no bucket outlives its
 *   duration, and no duration is negative. A step forward is taken as it comes (waits end early,
 *   old buckets drop out), which errs on the side of probing.
 *
 * Until the clock steps back, the time read is exactly `scheduler.now()`.
 *
 * @internal
 */
export class Clock {
  /** The last finite value the scheduler returned. */
  private raw = -Infinity;
  /** What the clock has stepped back by, in all. */
  private offset = 0;
  /** The last time handed out. */
  private last = 0;
  private faulty = false;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly report: (error: unknown) => void,
  ) {}

  /** Whether the scheduler has given one good reading yet. */
  get known(): boolean {
    return this.raw !== -Infinity;
  }

  /** The last time handed out, without reading the scheduler (0 before the first reading). */
  get latest(): number {
    return this.last;
  }

  now(): number {
    let raw: unknown;
    try {
      raw = this.scheduler.now();
    } catch (error) {
      return this.fault(error);
    }
    if (!Number.isFinite(raw)) {
      return this.fault(
        new TypeError(`scheduler.now(): expected a finite number, got ${describe(raw)}`),
      );
    }
    const time = raw as number; // Number.isFinite holds for finite numbers only
    this.faulty = false;
    if (time < this.raw) this.offset += this.raw - time;
    this.raw = time;
    return (this.last = time + this.offset);
  }

  private fault(error: unknown): number {
    if (!this.faulty) {
      this.faulty = true;
      this.report(error);
    }
    return this.last;
  }
}
