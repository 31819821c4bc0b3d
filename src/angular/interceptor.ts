import {
  type HttpEvent,
  type HttpHandler,
  type HttpInterceptor,
  type HttpInterceptorFn,
  type HttpRequest,
} from '@angular/common/http';
import { inject } from '@angular/core';
import type { Observable } from 'rxjs';
import { BreakerRegistry } from 'rxjs-fluxgate';
import { interceptThroughBreaker } from './intercept';
import {
  INTERCEPTOR_OPTIONS,
  interceptorOptions,
  type CircuitBreakerInterceptorOptions,
} from './options';

/**
 * An `HttpInterceptorFn` that sends each request through a circuit breaker of the injected
 * {@link BreakerRegistry}: by default one breaker per origin, so a failing backend is cut off
 * while the others are still called.
 *
 * A request is one call: admitted or refused when `HttpClient` subscribes; a success when its
 * `HttpResponse` arrives; a failure or an ignored error as the breaker's tracker judges the
 * error ({@link httpFailures} in a registry {@link provideCircuitBreakers} made, unless
 * `defaults` gives another tracker; a registry of your own uses its own `defaults`); a cancelled
 * call when it is unsubscribed before the response. A refused request errors with a 503
 * `HttpErrorResponse` (see `rejectWith`) and never reaches the network. With `honorRetryAfter`,
 * a tracked 429 or 503 that says `Retry-After` opens its breaker for that long.
 *
 * ## Example
 * ```ts
 * import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
 * import { circuitBreakerInterceptor, provideCircuitBreakers } from 'rxjs-fluxgate/angular';
 *
 * bootstrapApplication(App, {
 *   providers: [
 *     provideCircuitBreakers({ honorRetryAfter: true }),
 *     provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
 *   ],
 * });
 * ```
 *
 * @param options `key`, `rejectWith` and `honorRetryAfter`; each given field replaces the one
 *   given to `provideCircuitBreakers`.
 * @return An interceptor for `withInterceptors([...])`.
 */
export function circuitBreakerInterceptor(
  options?: CircuitBreakerInterceptorOptions,
): HttpInterceptorFn {
  const where = 'circuitBreakerInterceptor(options)';
  const own = interceptorOptions(where, options);
  return (request, next) =>
    interceptThroughBreaker(request, next, inject(BreakerRegistry, { optional: true }), {
      ...inject(INTERCEPTOR_OPTIONS, { optional: true }),
      ...own,
    });
}

/**
 * The class form of {@link circuitBreakerInterceptor}, for apps that register interceptors with
 * `HTTP_INTERCEPTORS` and `withInterceptorsFromDi()`. It behaves the same and takes its options
 * from {@link provideCircuitBreakers}. Let the injector create it (`useClass`): it injects the
 * registry when constructed.
 *
 * ## Example
 * ```ts
 * import { HTTP_INTERCEPTORS, provideHttpClient, withInterceptorsFromDi } from '@angular/common/http';
 * import { CircuitBreakerInterceptor, provideCircuitBreakers } from 'rxjs-fluxgate/angular';
 *
 * providers: [
 *   provideCircuitBreakers({ rejectWith: 'error' }),
 *   provideHttpClient(withInterceptorsFromDi()),
 *   { provide: HTTP_INTERCEPTORS, useClass: CircuitBreakerInterceptor, multi: true },
 * ];
 * ```
 */
export class CircuitBreakerInterceptor implements HttpInterceptor {
  private readonly registry = inject(BreakerRegistry, { optional: true });
  private readonly options = inject(INTERCEPTOR_OPTIONS, { optional: true }) ?? {};

  /**
   * Sends `request` on through the breaker its key names.
   *
   * @param request The outgoing request.
   * @param next The rest of the interceptor chain.
   * @return The request's events, or a refusal error.
   */
  intercept(request: HttpRequest<unknown>, next: HttpHandler): Observable<HttpEvent<unknown>> {
    return interceptThroughBreaker(request, (r) => next.handle(r), this.registry, this.options);
  }
}
