import * as check from '../internal/validate';
import type { BreakerSnapshot } from '../state/snapshot';
import { STATES, type State } from '../state/state';

/**
 * A breaker's state as {@link CircuitBreaker.toJSON} saves it and the config field `initialState`
 * takes it back (SPEC rule 6.1): plain and JSON-safe.
 */
export interface SavedState {
  /** The format's version: 1. */
  readonly version: 1;
  /** The breaker's name: a saved state restores only a breaker of the same name. */
  readonly name: string;
  /** The state. */
  readonly state: State;
  /** When the state was entered (scheduler time, ms). */
  readonly changedAt: number;
  /** Half-open to open transitions since the breaker was last closed. */
  readonly reopens: number;
  /** Transitions made so far. */
  readonly generation: number;
  /** In `open`, the wait (ms) of this opening; `null` for an endless one; `0` otherwise. */
  readonly retryWait: number | null;
}

const KEYS: readonly string[] = [
  'version',
  'name',
  'state',
  'changedAt',
  'reopens',
  'generation',
  'retryWait',
];

/** The saved form of a snapshot. @internal */
export function savedState(name: string, s: BreakerSnapshot): SavedState {
  return {
    version: 1,
    name,
    state: s.state,
    changedAt: s.changedAt,
    reopens: s.reopens,
    generation: s.generation,
    retryWait: s.retryWait === Infinity ? null : s.retryWait,
  };
}

/**
 * Checks a saved state for the breaker named `name` and turns it back into a snapshot.
 *
 * @throws TypeError or RangeError naming the field that is not valid.
 * @internal
 */
export function restoredSnapshot(where: string, name: string, value: unknown): BreakerSnapshot {
  const saved = check.requiredOptions<SavedState>(where, value, KEYS);
  if (saved.version !== 1) {
    throw new TypeError(`${where}.version: expected 1, got ${check.describe(saved.version)}`);
  }
  if (saved.name !== name) {
    throw new TypeError(
      `${where}.name: expected the breaker's own name ${JSON.stringify(name)}, got ${check.describe(saved.name)}`,
    );
  }
  if (!STATES.includes(saved.state)) {
    throw new TypeError(
      `${where}.state: expected one of ${STATES.join(', ')}, got ${check.describe(saved.state)}`,
    );
  }
  const changedAt = check.nonNegative(`${where}.changedAt`, saved.changedAt);
  const reopens = check.nonNegativeInteger(`${where}.reopens`, saved.reopens);
  const generation = check.nonNegativeInteger(`${where}.generation`, saved.generation);
  const retryWait =
    saved.retryWait === null ? Infinity : check.nonNegative(`${where}.retryWait`, saved.retryWait);
  return {
    state: saved.state,
    changedAt,
    reopens,
    generation,
    retryWait: saved.state === 'open' ? retryWait : 0,
  };
}
