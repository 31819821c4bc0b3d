import type { CallNotPermittedError } from '../errors';
import type { FaultSource } from './config';

/**
 * What {@link CallProtocol._acquire} returns for a call in `disabled`: run it untouched.
 * @internal
 */
export const PASS_THROUGH = -1;

/**
 * The four steps of one call, as the operator and the promise path drive them: admit, then exactly
 * one of success, error or cancel. A `CircuitBreaker` implements it; the operator depends on this
 * interface only, so the breaker and the operator do not import each other.
 *
 * @internal
 */
export interface CallProtocol {
  /** Admits a call: its generation, {@link PASS_THROUGH} in `disabled`, or the refusal. */
  _acquire(): number | CallNotPermittedError;
  /** When a call admitted now starts: the breaker's time, or `NaN` if nothing needs it. */
  _start(): number;
  /** Records a success of a call admitted in `generation` at `startedAt`. */
  _success(generation: number, startedAt: number): void;
  /** Records an error of a call admitted in `generation` at `startedAt`. */
  _error(generation: number, startedAt: number, error: unknown): void;
  /** Records that a call admitted in `generation` ended before its outcome. */
  _cancel(generation: number): void;
  /** Reports an error thrown by user code. */
  _report(source: FaultSource, error: unknown): void;
}
