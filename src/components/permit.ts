import * as check from '../internal/validate';

/**
 * Decides which calls a half-open breaker admits as trials (within `maxHalfOpenCalls`).
 * Implement it to write your own.
 */
export interface Permit {
  /**
   * Whether to admit this call.
   *
   * @param elapsed Milliseconds since the breaker entered `half_open`.
   * @param random The breaker's source of uniform numbers in `[0, 1)`.
   */
  admits(elapsed: number, random: () => number): boolean;
}

/**
 * Admits every call (up to `maxHalfOpenCalls` in flight).
 *
 * @return A permit that always admits.
 */
function all(): Permit {
  return { admits: () => true };
}

/**
 * Admits each call with probability `ratio`.
 *
 * @param ratio In `[0, 1]`.
 * @return A permit that admits when `random() < ratio`.
 */
function random(ratio: number): Permit {
  const p = check.probability('permits.random(ratio)', ratio);
  return { admits: (_elapsed, rnd) => rnd() < p };
}

/** Options of {@link permits.rampUp}. */
export interface RampUpOptions {
  /** The probability on entering `half_open`, in `(0, 1]`. */
  readonly initial: number;
  /** The probability reached after `duration`, in `[initial, 1]`. */
  readonly final: number;
  /** Milliseconds over which the probability grows, finite and `> 0`. */
  readonly duration: number;
}

/**
 * Admits each call with a probability that grows linearly from `initial` to `final` over
 * `duration` ms after entering `half_open`, then stays at `final` (a time since entering that
 * reads as negative counts as 0). The default permit is
 * `rampUp({ initial: 0.1, final: 1, duration: 60_000 })`.
 *
 * @param options `initial`, `final`, `duration`.
 * @return A permit that admits when `random() < p(elapsed)`.
 */
export function rampUp(options: RampUpOptions): Permit {
  const where = 'permits.rampUp';
  check.requiredOptions<RampUpOptions>(`${where}(options)`, options, [
    'initial',
    'final',
    'duration',
  ]);
  const initial = check.ratio(`${where}({ initial })`, options.initial);
  const final = check.probability(`${where}({ final })`, options.final);
  if (final < initial) {
    throw new RangeError(
      `${where}({ final }): expected initial (${initial}) <= final <= 1, got ${final}`,
    );
  }
  const duration = check.positiveDuration(`${where}({ duration })`, options.duration);
  const slope = (final - initial) / duration;
  return {
    admits: (elapsed, rnd) =>
      rnd() < (elapsed >= duration ? final : initial + slope * Math.max(0, elapsed)),
  };
}

/**
 * Permits: which calls a half-open breaker admits as trials.
 *
 * | factory | admits |
 * | --- | --- |
 * | `all()` | every call |
 * | `random(ratio)` | each call with probability `ratio` |
 * | `rampUp({ initial, final, duration })` | with a probability growing from `initial` to `final` |
 *
 * @namespace
 */
export const permits = /* @__PURE__ */ Object.freeze({ all, random, rampUp });
