import { InjectionToken } from '@angular/core';
import type { HttpRequest } from '@angular/common/http';

/**
 * Options of {@link circuitBreakerInterceptor} and {@link CircuitBreakerInterceptor}.
 *
 * ## Example
 * ```ts
 * const options: CircuitBreakerInterceptorOptions = {
 *   // One breaker per API, not per origin; static assets go unprotected.
 *   key: (request) => (request.url.includes('/assets/') ? false : request.url.split('/')[3] ?? 'root'),
 *   rejectWith: 'error',
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
   * 503 whose `error` is the `CallNotPermittedError` and whose `Retry-After` header gives the
   * seconds until a probe may pass, when known; `'error'` the bare `CallNotPermittedError`.
   */
  readonly rejectWith?: 'response' | 'error';
}

/** The interceptor options given to `provideCircuitBreakers`. @internal */
export const INTERCEPTOR_OPTIONS = new InjectionToken<CircuitBreakerInterceptorOptions>(
  'rxjs-fluxgate/angular interceptor options',
);

/** The option keys of the interceptors. @internal */
export const INTERCEPTOR_KEYS: readonly string[] = ['key', 'rejectWith'];

/**
 * Checks interceptor options (only the keys in `INTERCEPTOR_KEYS` are looked at) and returns them
 * without undefined fields. @internal
 */
export function checkInterceptorOptions(
  where: string,
  options: CircuitBreakerInterceptorOptions,
): CircuitBreakerInterceptorOptions {
  const { key, rejectWith } = options;
  if (key !== undefined && typeof key !== 'function') {
    throw new TypeError(`${where}.key: expected a function, got ${typeof key}`);
  }
  if (rejectWith !== undefined && rejectWith !== 'response' && rejectWith !== 'error') {
    throw new TypeError(
      `${where}.rejectWith: expected "response" or "error", got ${String(rejectWith)}`,
    );
  }
  return {
    ...(key === undefined ? {} : { key }),
    ...(rejectWith === undefined ? {} : { rejectWith }),
  };
}

/** Checks that `options` is undefined or a plain object with only `allowed` keys. @internal */
export function checkOptionsObject<T extends object>(
  where: string,
  options: T | undefined,
  allowed: readonly string[],
): T | Record<string, never> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: expected an options object, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      throw new TypeError(`${where}: unknown option "${name}" (expected ${allowed.join(', ')})`);
    }
  }
  return options;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
