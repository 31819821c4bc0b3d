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
  /** The state that refused the call. */
  declare readonly state: State;
  /** The name of the breaker that refused it. */
  declare readonly breakerName: string;
  /**
   * Milliseconds until the retry policy lets a call through, when the state is `open` and that is
   * known; `undefined` otherwise (for instance in `forced_open` or with `retries.never()`).
   */
  declare readonly retryAfter: number | undefined;

  /**
   * @param breakerName The breaker's name.
   * @param state The state that refused the call.
   * @param retryAfter Milliseconds until a call may pass, if known.
   */
  constructor(breakerName: string, state: State, retryAfter?: number) {
    // No message given: it is built from the fields when read (a refusal is often never
    // printed, and a breaker that refuses thousands of calls a second should not build them).
    super();
    this.state = state;
    this.breakerName = breakerName;
    this.retryAfter = retryAfter;
  }

  /** Always `'CallNotPermittedError'` (unless code that handles it sets another). */
  override get name(): string {
    return 'CallNotPermittedError';
  }

  /** Gives this error its own `name`, as on any error. */
  override set name(value: string) {
    ownProperty(this, 'name', value);
  }

  /**
   * `Circuit breaker '<name>' is <state>: call not permitted`, with ` (retry after <ms> ms)` when
   * `retryAfter` is known (unless code that handles it sets another).
   */
  override get message(): string {
    return (
      `Circuit breaker '${this.breakerName}' is ${this.state}: call not permitted` +
      (this.retryAfter === undefined ? '' : ` (retry after ${this.retryAfter} ms)`)
    );
  }

  /** Gives this error its own `message`, as on any error. */
  override set message(value: string) {
    ownProperty(this, 'message', value);
  }
}

/** Gives `error` its own `key`, as an assignment to a plain error's field would. */
function ownProperty(error: Error, key: 'name' | 'message', value: string): void {
  Object.defineProperty(error, key, { value, writable: true, configurable: true });
}
