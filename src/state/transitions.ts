import type { BreakerSnapshot } from './snapshot';
import type { State } from './state';

/** How a transition was asked for: by a call's outcome or a timer, or by a command. */
export type TransitionKind = 'automatic' | 'manual';

/** One row of {@link TRANSITIONS}. */
export interface TransitionRule {
  /** The state left; `'any'` for every state but `to` itself. */
  readonly from: State | 'any';
  /** The state entered. */
  readonly to: State;
  /** Who may make it. */
  readonly kind: TransitionKind;
}

/**
 * Every transition a breaker can make, and nothing else: {@link advance} refuses the rest. Each
 * row's comment says when it happens, with the SPEC rule that says so. A command to the state the
 * breaker is already in is no transition (it clears the window, SPEC rule 2.6), except `openFor`
 * while open, which restarts the wait.
 */
export const TRANSITIONS: readonly TransitionRule[] = Object.freeze([
  // The tripper trips after an outcome (2.5).
  { from: 'closed', to: 'open', kind: 'automatic' },
  // The retry wait is over, at a call or at the autoHalfOpen timer (2.1, 6.4).
  { from: 'open', to: 'half_open', kind: 'automatic' },
  // The trials decide for closing (2.5, 6.5).
  { from: 'half_open', to: 'closed', kind: 'automatic' },
  // The trials decide for opening, or maxHalfOpenDuration has passed (2.1, 2.5, 6.5).
  { from: 'half_open', to: 'open', kind: 'automatic' },
  // reset(), disable(), metricsOnly(), forceOpen(), openFor(ms) (6.2).
  { from: 'any', to: 'closed', kind: 'manual' },
  { from: 'any', to: 'disabled', kind: 'manual' },
  { from: 'any', to: 'metrics_only', kind: 'manual' },
  { from: 'any', to: 'forced_open', kind: 'manual' },
  { from: 'any', to: 'open', kind: 'manual' },
  // openFor(ms) while open: a new wait (6.2).
  { from: 'open', to: 'open', kind: 'manual' },
] satisfies TransitionRule[]);

/** Whether the table has a row for `from -> to` made by `kind`. */
export function isAllowed(from: State, to: State, kind: TransitionKind): boolean {
  return TRANSITIONS.some(
    (r) => r.kind === kind && r.to === to && (r.from === from || (r.from === 'any' && from !== to)),
  );
}

/**
 * The snapshot after a transition (SPEC rule 2.6): a new generation, `changedAt = at`, an
 * automatic `half_open -> open` adds one reopen, entering `closed` clears the reopens, and
 * entering `open` takes the wait for this opening from `retryWait(reopens)`.
 *
 * @throws Error when the table has no such row (a bug in the caller, never user input).
 */
export function advance(
  current: BreakerSnapshot,
  to: State,
  at: number,
  kind: TransitionKind,
  retryWait: (reopens: number) => number,
): BreakerSnapshot {
  if (!isAllowed(current.state, to, kind)) {
    throw new Error(`rxjs-fluxgate: no ${kind} transition from ${current.state} to ${to}`);
  }
  const reopens =
    to === 'closed'
      ? 0
      : kind === 'automatic' && current.state === 'half_open' && to === 'open'
        ? current.reopens + 1
        : current.reopens;
  return {
    state: to,
    changedAt: at,
    reopens,
    generation: current.generation + 1,
    retryWait: to === 'open' ? retryWait(reopens) : 0,
  };
}

/** Whether entering `to` sets the failure streak back to zero (entering `closed` or `half_open`). */
export function clearsStreak(to: State): boolean {
  return to === 'closed' || to === 'half_open';
}
