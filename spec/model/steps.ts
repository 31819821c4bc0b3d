/**
 * The random steps a test drives a breaker with, as plain data (so a shrunk sequence prints as
 * something one can paste into a plain test).
 */
import fc from 'fast-check';
import type { ClockFault } from '../helpers/clock';
import { TrackedError, UntrackedError, type Manual } from './config-spec';
import type { CallOptions } from './reference-model';

export type { Manual } from './config-spec';

export type Step =
  | { t: 'start'; options: CallOptions }
  | { t: 'complete'; k: number }
  | { t: 'fail'; k: number; tracked: boolean }
  | { t: 'cancel'; k: number }
  | { t: 'emit'; k: number }
  | { t: 'advance'; ms: number }
  | { t: 'manual'; command: Manual }
  /** SPEC 6.2. */
  | { t: 'openFor'; ms: number }
  /** SPEC 6.3: a call on the promise path with an AbortController; `cancel` aborts it. */
  | { t: 'execute'; preAborted: boolean }
  /** SPEC 6.1: a new breaker from `JSON.parse(JSON.stringify(old))` replaces the old one. */
  | { t: 'restore' }
  /** SPEC 6.4: `dispose()`. */
  | { t: 'dispose' }
  /** `events$` is read for the first time (nothing if it already was). */
  | { t: 'watch' }
  /** The clock's readings from now on: `'ok'`, or a fault that lasts until the next clock step. */
  | { t: 'clock'; mode: ClockFault }
  /** The clock steps back by `ms` (not below 0). */
  | { t: 'stepBack'; ms: number }
  /** Every reading of the clock during `step` (and only then) fails as `mode` says. */
  | { t: 'glitch'; mode: ClockFault; step: Step };

/** The steps that act on a call in flight; `k` picks one of the calls still active, modulo. */
export function targetsCall(step: Step): step is Extract<Step, { k: number }> {
  return 'k' in step;
}

const k = fc.nat({ max: 7 });

export const callOptionsArb: fc.Arbitrary<CallOptions> = fc.record({
  successOnValue: fc.boolean(),
  take1: fc.boolean(),
  fallback: fc.boolean(),
});

/** Each kind of step, weighted so calls start often enough to keep several in flight. */
export const callStepArbs: fc.Arbitrary<Step>[] = [
  ...repeat(
    3,
    callOptionsArb.map((options) => ({ t: 'start' as const, options })),
  ),
  ...repeat(
    2,
    k.map((i) => ({ t: 'complete' as const, k: i })),
  ),
  ...repeat(2, fc.record({ t: fc.constant('fail' as const), k, tracked: fc.constant(true) })),
  fc.record({ t: fc.constant('fail' as const), k, tracked: fc.boolean() }),
  k.map((i) => ({ t: 'cancel' as const, k: i })),
  ...repeat(
    2,
    k.map((i) => ({ t: 'emit' as const, k: i })),
  ),
  ...repeat(
    2,
    fc
      .oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 50, max: 1500 }),
        fc.integer({ min: 1500, max: 10_000 }),
      )
      .map((ms) => ({ t: 'advance' as const, ms })),
  ),
];

/** Every kind of step, manual commands included. */
export const stepArbs: fc.Arbitrary<Step>[] = [
  ...callStepArbs,
  fc
    .constantFrom<Manual>('reset', 'disable', 'metricsOnly', 'forceOpen', 'reset')
    .map((command) => ({ t: 'manual' as const, command })),
];

export const openForStepArb: fc.Arbitrary<Step> = fc
  .integer({ min: 1, max: 3000 })
  .map((ms) => ({ t: 'openFor' as const, ms }));

export const executeStepArb: fc.Arbitrary<Step> = fc
  .constantFrom(false, false, false, true)
  .map((preAborted) => ({ t: 'execute' as const, preAborted }));

export const restoreStepArb: fc.Arbitrary<Step> = fc.constant({ t: 'restore' as const });

export const disposeStepArb: fc.Arbitrary<Step> = fc.constant({ t: 'dispose' as const });

export const watchStepArb: fc.Arbitrary<Step> = fc.constant({ t: 'watch' as const });

export const clockModeStepArb: fc.Arbitrary<Step> = fc
  .constantFrom<ClockFault>('throw', 'nan', 'infinity', 'string', 'ok', 'ok')
  .map((mode) => ({ t: 'clock' as const, mode }));

export const stepBackStepArb: fc.Arbitrary<Step> = fc
  .oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 50, max: 5000 }))
  .map((ms) => ({ t: 'stepBack' as const, ms }));

/** SPEC section 6 steps: timed opens, the promise path with aborts, save and restore. */
export const controlStepArbs: fc.Arbitrary<Step>[] = [
  openForStepArb,
  executeStepArb,
  executeStepArb,
  restoreStepArb,
];

/** The control steps and `dispose()` (after which the streams say nothing more, until a restore). */
export const lifecycleStepArbs: fc.Arbitrary<Step>[] = [...controlStepArbs, disposeStepArb];

export const glitchStepArb: fc.Arbitrary<Step> = fc.record({
  t: fc.constant('glitch' as const),
  mode: fc.constantFrom<ClockFault>('throw', 'nan', 'infinity', 'string'),
  step: fc.oneof(...callStepArbs, openForStepArb, ...stepArbs.slice(-1)),
});

/**
 * Clock faults: readings that throw or are not finite numbers for a while, or during one step,
 * and steps back.
 */
export const clockStepArbs: fc.Arbitrary<Step>[] = [
  clockModeStepArb,
  stepBackStepArb,
  glitchStepArb,
];

/** Everything: calls, time, manual commands, section 6, clock faults, a first read of `events$`. */
export const allStepArbs: fc.Arbitrary<Step>[] = [
  ...stepArbs,
  ...controlStepArbs,
  ...clockStepArbs,
  watchStepArb,
];

function repeat<T>(n: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T>[] {
  return Array.from({ length: n }, () => arb);
}

/** The error a `fail` step raises (a new instance each time, so identity is checked). */
export function errorFor(step: { tracked: boolean }, n: number): Error {
  return step.tracked ? new TrackedError(`tracked ${n}`) : new UntrackedError(`untracked ${n}`);
}

/** The state a manual command moves to. */
export const MANUAL_TARGET = {
  reset: 'closed',
  disable: 'disabled',
  metricsOnly: 'metrics_only',
  forceOpen: 'forced_open',
} as const;
