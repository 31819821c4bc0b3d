import type { State } from './state';

/**
 * Everything that decides how a breaker treats the next call, as one small plain object.
 *
 * It is replaced, never mutated. A breaker makes a new one only through the transition table
 * (`advance`); a store may also hand it one saved (`initialState`) or adopted from another
 * process. So it can be kept in any {@link StateStore}, in memory or shared through Redis.
 */
export interface BreakerSnapshot {
  /** The current state. */
  readonly state: State;
  /** When the current state was entered (scheduler time, ms). */
  readonly changedAt: number;
  /** How many times a half-open breaker has gone back to open since it was last closed. */
  readonly reopens: number;
  /** Counts transitions; an outcome is recorded only if its call was admitted in this generation. */
  readonly generation: number;
  /**
   * In `open`: how long (ms) the retry policy keeps calls out, drawn once on entering `open`
   * (so jitter is drawn once per opening). `Infinity` for `retries.never()`; `0` in other states.
   */
  readonly retryWait: number;
}

/** The snapshot of a new breaker: closed since `now`. */
export function initialSnapshot(now: number): BreakerSnapshot {
  return { state: 'closed', changedAt: now, reopens: 0, generation: 0, retryWait: 0 };
}
