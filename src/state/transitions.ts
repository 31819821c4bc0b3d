import type { BreakerSnapshot } from './snapshot';
import type { State } from './state';

/**
 * The transitions the breaker makes by itself, from its calls' outcomes (SPEC rules 2.1 and 2.5).
 * Anything else is a manual command.
 */
export const AUTOMATIC_TRANSITIONS: Readonly<Partial<Record<State, readonly State[]>>> =
  Object.freeze({
    closed: ['open'],
    open: ['half_open'],
    half_open: ['closed', 'open'],
  });

/** The states a manual command can move the breaker to, from any state. */
export const MANUAL_TARGETS: readonly State[] = Object.freeze([
  'closed',
  'disabled',
  'metrics_only',
  'forced_open',
]);

/** How a transition was asked for. */
export type TransitionKind = 'automatic' | 'manual';

/** Whether `kind` allows moving from `from` to `to`. */
export function isAllowed(from: State, to: State, kind: TransitionKind): boolean {
  if (from === to) return false;
  if (kind === 'manual') return MANUAL_TARGETS.includes(to);
  return AUTOMATIC_TRANSITIONS[from]?.includes(to) ?? false;
}

/**
 * The snapshot after a transition (SPEC rule 2.6): a new generation, `changedAt = at`,
 * `half_open -> open` adds one reopen, entering `closed` clears the reopens, and entering `open`
 * draws the retry wait for this opening from `retryWait(reopens)`.
 *
 * @throws Error when the transition table does not allow it (a bug in the caller, never user input).
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
      : current.state === 'half_open' && to === 'open'
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
