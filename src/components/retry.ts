import * as check from '../internal/validate';

/**
 * Decides how long an open breaker refuses calls before it probes (moves to `half_open`).
 * The breaker asks once, on entering `open`, so any randomness is drawn once per opening.
 * Implement it to write your own.
 */
export interface Retry {
  /**
   * The wait in ms (`>= 0`; `Infinity` to stay open until a manual command).
   *
   * @param reopens How many times the breaker has gone from `half_open` back to `open` since it
   *   was last closed (0 for the first opening).
   * @param random The breaker's source of uniform numbers in `[0, 1)`.
   */
  wait(reopens: number, random: () => number): number;
}

/** Options shared by the retries that take jitter. */
export interface JitterOptions {
  /** Scales each wait by a factor drawn from `[1 - jitter, 1 + jitter]`; in `[0, 1)`, default 0. */
  readonly jitter?: number;
}

function withJitter(wait: number, jitter: number, random: () => number): number {
  return jitter === 0 ? wait : wait * (1 + jitter * (2 * random() - 1));
}

/**
 * Probes at the first call after opening.
 *
 * @return A retry that waits 0 ms.
 */
function always(): Retry {
  return { wait: () => 0 };
}

/**
 * Never probes: the breaker stays open until a manual command.
 *
 * @return A retry that waits forever (`CallNotPermittedError.retryAfter` is `undefined`).
 */
function never(): Retry {
  return { wait: () => Infinity };
}

/**
 * Waits a fixed time after each opening (the default, 60 s).
 *
 * @param ms The wait, finite and `> 0`.
 * @param options `jitter`: in `[0, 1)`, default 0.
 * @return A retry that waits `ms`, scaled by the jitter factor.
 */
export function cooldown(ms: number, options?: JitterOptions): Retry {
  const wait = check.positiveDuration('retries.cooldown(ms)', ms);
  const opts = check.options<JitterOptions>('retries.cooldown(ms, options)', options, ['jitter']);
  const jitter = check.jitter('retries.cooldown(ms, { jitter })', opts.jitter ?? 0);
  return { wait: (_reopens, random) => withJitter(wait, jitter, random) };
}

/** Options of {@link retries.backoff}. */
export interface BackoffOptions extends JitterOptions {
  /** The first wait (ms), finite and `> 0`. */
  readonly initial: number;
  /** Growth per reopen, `> 1`. Default 2. */
  readonly multiplier?: number;
  /** The longest wait (ms), `>= initial`. Default 300 000. */
  readonly max?: number;
}

/**
 * Waits longer each time a probe fails: `min(initial * multiplier ** reopens, max)`, scaled by the
 * jitter factor. A breaker that closes starts again from `initial`.
 *
 * ## Example
 * ```ts
 * retries.backoff({ initial: 10_000, multiplier: 2, max: 300_000, jitter: 0.1 });
 * ```
 *
 * @param options `initial`, `multiplier` (default 2), `max` (default 300 000), `jitter` (default 0).
 * @return A retry with exponential backoff.
 */
function backoff(options: BackoffOptions): Retry {
  const where = 'retries.backoff';
  check.requiredOptions<BackoffOptions>(`${where}(options)`, options, [
    'initial',
    'multiplier',
    'max',
    'jitter',
  ]);
  const initial = check.positiveDuration(`${where}({ initial })`, options.initial);
  const multiplier = check.greaterThan(`${where}({ multiplier })`, 1, options.multiplier ?? 2);
  const max = check.atLeast(`${where}({ max })`, initial, 'initial', options.max ?? 300_000);
  const jitter = check.jitter(`${where}({ jitter })`, options.jitter ?? 0);
  return {
    wait: (reopens, random) =>
      withJitter(Math.min(initial * multiplier ** reopens, max), jitter, random),
  };
}

/**
 * Retries: when an open breaker may probe again.
 *
 * | factory | waits |
 * | --- | --- |
 * | `always()` | 0 ms |
 * | `never()` | forever (manual commands only) |
 * | `cooldown(ms, { jitter })` | `ms` (the default is `cooldown(60_000)`) |
 * | `backoff({ initial, multiplier, max, jitter })` | `min(initial * multiplier ** reopens, max)` |
 *
 * @namespace
 */
export const retries = /* @__PURE__ */ Object.freeze({ always, never, cooldown, backoff });
