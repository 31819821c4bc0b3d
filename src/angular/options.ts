import { InjectionToken } from '@angular/core';
import type { HttpRequest } from '@angular/common/http';
import * as check from '../internal/validate';

/**
 * Options of {@link circuitBreakerInterceptor} and {@link CircuitBreakerInterceptor}.
 *
 * ## Example
 * ```ts
 * const options: CircuitBreakerInterceptorOptions = {
 *   // One breaker per API, not per origin; static assets go unprotected.
 *   key: (request) => (request.url.includes('/assets/') ? false : request.url.split('/')[3] ?? 'root'),
 *   rejectWith: 'error',
 *   honorRetryAfter: true,
 * };
 * withInterceptors([circuitBreakerInterceptor(options)]);
 * ```
 */
export interface CircuitBreakerInterceptorOptions {
  /**
   * Names the breaker of a request, or returns `false` to send it without one. Default: the
   * request URL's origin (`scheme://host:port`, the port left out when it is the scheme's
   * default). A `CIRCUIT_BREAKER` context value other than `null` takes precedence.
   */
  readonly key?: (request: HttpRequest<unknown>) => string | false;
  /**
   * What a refused request errors with: `'response'` (default) an `HttpErrorResponse` of status
   * 503 whose `error` is the `CallNotPermittedError`; `'error'` the bare `CallNotPermittedError`.
   *
   * The 503 carries a `Retry-After` header (whole seconds, rounded up) only when the wait is
   * known: when the breaker that refused is `open` with a retry that ends. A refusal in
   * `half_open` (the one trial slot is taken, or the permit turned the request away) has no
   * `Retry-After` and its error has no `retryAfter`: the trial in flight decides when calls pass
   * again, and nobody knows when it will answer. `error.state` tells the two apart (`'open'` or
   * `'half_open'`, and `'forced_open'` after a manual command).
   */
  readonly rejectWith?: 'response' | 'error';
  /**
   * Whether a server's `Retry-After` opens the breaker for the time it asks (default `false`).
   *
   * When a request through a breaker fails with a 429 or 503 response that the breaker's tracker
   * counts, and the response has a `Retry-After` header, either delta-seconds (`120`) or an HTTP
   * date (`Wed, 21 Oct 2026 07:28:00 GMT`), the breaker is opened for that long with
   * `breaker.openFor(ms)`: at once, whether or not its tripper would have opened it, in `closed`
   * and in `half_open` (a failed trial), and, for a late answer to a call admitted earlier, in
   * `open` too, where it restarts the wait. The refusals that follow carry the server's wait in
   * their own `Retry-After`, counting down. Afterwards the breaker probes as usual, and later
   * openings use its retry policy again.
   *
   * - An HTTP date is read against the response's `Date` header when it has a valid one (the
   *   server's clock, so a client clock that is off does not matter), otherwise against the
   *   wall clock (`Date.now()`).
   * - A wait is capped at 5 minutes (300 000 ms, the longest wait of the core's default
   *   `retries.backoff`), so a wrong or hostile header cannot shut the app out for hours; if the
   *   server still wants more, the next trial gets a new 429 or 503 and opens it again.
   * - A header that is zero, a date not after the reference, or anything else (`1.5`, `-1`,
   *   `soon`, two values) is ignored: the breaker behaves as without the option.
   * - Nothing happens in `metrics_only`, `disabled` or `forced_open` (a manual command stays in
   *   force), nor for a 503 this package makes for a refusal (its `error` is a
   *   `CallNotPermittedError`; with several breakers in one chain, one breaker's refusal never
   *   opens another).
   *
   * Cross-origin, a browser lets the app read `Retry-After` (and `Date`) only when the server
   * lists them in `Access-Control-Expose-Headers`.
   */
  readonly honorRetryAfter?: boolean;
}

/** The interceptor options given to `provideCircuitBreakers`. @internal */
export const INTERCEPTOR_OPTIONS = new InjectionToken<CircuitBreakerInterceptorOptions>(
  'rxjs-fluxgate/angular interceptor options',
);

/** The option keys of the interceptors. @internal */
export const INTERCEPTOR_KEYS: readonly (keyof CircuitBreakerInterceptorOptions)[] = [
  'key',
  'rejectWith',
  'honorRetryAfter',
];

/**
 * Checks interceptor options (only the keys in `INTERCEPTOR_KEYS` are looked at) and returns them
 * without undefined fields. @internal
 */
export function checkInterceptorOptions(
  where: string,
  value: CircuitBreakerInterceptorOptions,
): CircuitBreakerInterceptorOptions {
  const { key, rejectWith, honorRetryAfter } = value;
  if (key !== undefined && typeof key !== 'function') {
    throw new TypeError(`${where}.key: expected a function, got ${check.describe(key)}`);
  }
  if (rejectWith !== undefined && rejectWith !== 'response' && rejectWith !== 'error') {
    throw new TypeError(
      `${where}.rejectWith: expected "response" or "error", got ${check.describe(rejectWith)}`,
    );
  }
  if (honorRetryAfter !== undefined && typeof honorRetryAfter !== 'boolean') {
    throw new TypeError(
      `${where}.honorRetryAfter: expected true or false, got ${check.describe(honorRetryAfter)}`,
    );
  }
  return {
    ...(key === undefined ? {} : { key }),
    ...(rejectWith === undefined ? {} : { rejectWith }),
    ...(honorRetryAfter === undefined ? {} : { honorRetryAfter }),
  };
}

/** The interceptor's own options, checked: an options object with interceptor keys only. @internal */
export function interceptorOptions(
  where: string,
  value: CircuitBreakerInterceptorOptions | undefined,
): CircuitBreakerInterceptorOptions {
  return checkInterceptorOptions(
    where,
    check.options<CircuitBreakerInterceptorOptions>(where, value, INTERCEPTOR_KEYS),
  );
}
