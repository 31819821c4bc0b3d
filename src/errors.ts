import type { State } from './state/state';

/**
 * The error a call gets when the breaker refuses it (in `open`, `forced_open`, or `half_open`
 * when no trial slot or permit is free).
 *
 * ## Example
 * ```ts
 * import { CallNotPermittedError } from 'rxjs-fluxgate';
 *
 * http$.pipe(circuitBreaker(breaker)).subscribe({
 *   error: (e) => {
 *     if (e instanceof CallNotPermittedError) console.log(`retry in ${e.retryAfter} ms`);
 *   },
 * });
 * ```
 */
export class CallNotPermittedError extends Error {
  /** Always `'CallNotPermittedError'`. */
  override readonly name = 'CallNotPermittedError';
  /** The state that refused the call. */
  readonly state: State;
  /** The name of the breaker that refused it. */
  readonly breakerName: string;
  /**
   * Milliseconds until the retry policy lets a call through, when the state is `open` and that is
   * known; `undefined` otherwise (for instance in `forced_open` or with `retries.never()`).
   */
  readonly retryAfter: number | undefined;

  /**
   * @param breakerName The breaker's name.
   * @param state The state that refused the call.
   * @param retryAfter Milliseconds until a call may pass, if known.
   */
  constructor(breakerName: string, state: State, retryAfter?: number) {
    super(
      `Circuit breaker '${breakerName}' is ${state}: call not permitted` +
        (retryAfter === undefined ? '' : ` (retry after ${retryAfter} ms)`),
    );
    this.state = state;
    this.breakerName = breakerName;
    this.retryAfter = retryAfter;
  }
}
