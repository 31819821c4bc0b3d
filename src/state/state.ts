/**
 * The states of a circuit breaker.
 *
 * - `closed`: calls pass and are measured; the tripper decides when to open.
 * - `open`: calls are rejected until the retry policy lets the breaker probe.
 * - `half_open`: a few trial calls, chosen by the permit, decide between `closed` and `open`.
 * - `metrics_only`: calls pass and are measured, but the breaker never opens (manual).
 * - `disabled`: calls pass untouched; nothing is measured (manual).
 * - `forced_open`: every call is rejected until another manual command (manual).
 */
export type State = 'closed' | 'open' | 'half_open' | 'metrics_only' | 'disabled' | 'forced_open';

/** Every {@link State}, in a fixed order (handy for gauges that report one series per state). */
export const STATES: readonly State[] = Object.freeze([
  'closed',
  'open',
  'half_open',
  'metrics_only',
  'disabled',
  'forced_open',
]);

/** A change of state, as `transitions$` emits it and listeners receive it. */
export interface Transition {
  /** The breaker's name. */
  readonly name: string;
  /** The state left. */
  readonly from: State;
  /** The state entered. */
  readonly to: State;
  /** When, in the breaker's scheduler time (ms). */
  readonly at: number;
  /**
   * `'local'` when this process made the transition (a call's outcome or a command here);
   * `'remote'` when it was adopted from a store shared with other processes.
   */
  readonly origin: TransitionOrigin;
}

/** Where a {@link Transition} was made: here, or in another process sharing the store. */
export type TransitionOrigin = 'local' | 'remote';
