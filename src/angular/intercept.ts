import {
  HttpErrorResponse,
  HttpHeaders,
  HttpResponse,
  type HttpEvent,
  type HttpRequest,
} from '@angular/common/http';
import { catchError, defer, throwError, type Observable, type OperatorFunction } from 'rxjs';
import {
  BreakerRegistry,
  CallNotPermittedError,
  circuitBreaker,
  type CircuitBreaker,
} from 'rxjs-fluxgate';
import { CIRCUIT_BREAKER } from './context';
import type { CircuitBreakerInterceptorOptions } from './options';

/** The breaker name of a relative URL when there is no page to resolve it against (SSR, tests). */
const SAME_ORIGIN = 'same-origin';

/** Only the `HttpResponse` is a request's result (SPEC section 5), not the events before it. */
const isResponse = (event: unknown): boolean => event instanceof HttpResponse;

/** One operator per breaker: made on first use, shared by every request through that breaker. */
const operators = new WeakMap<
  CircuitBreaker,
  OperatorFunction<HttpEvent<unknown>, HttpEvent<unknown>>
>();

function protect(
  breaker: CircuitBreaker,
): OperatorFunction<HttpEvent<unknown>, HttpEvent<unknown>> {
  let operator = operators.get(breaker);
  if (operator === undefined) {
    operator = circuitBreaker(breaker, { isResult: isResponse });
    operators.set(breaker, operator);
  }
  return operator;
}

/**
 * The origin of a request URL (`scheme://host[:port]`), resolved against the page when relative.
 * @internal
 */
export function originOf(url: string): string {
  const page = (globalThis as { location?: { href?: unknown } }).location?.href;
  try {
    const parsed = new URL(url, typeof page === 'string' ? page : undefined);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return SAME_ORIGIN;
  }
}

/**
 * The refusal as Angular error handling expects it: status 503, the `CallNotPermittedError` as
 * `error`, and `Retry-After` in whole seconds (rounded up) when the wait is known. @internal
 */
export function refusalResponse(
  request: HttpRequest<unknown>,
  error: CallNotPermittedError,
): HttpErrorResponse {
  const headers =
    error.retryAfter === undefined
      ? new HttpHeaders()
      : new HttpHeaders({ 'Retry-After': String(Math.max(0, Math.ceil(error.retryAfter / 1000))) });
  return new HttpErrorResponse({
    error,
    headers,
    status: 503,
    statusText: 'Service Unavailable',
    url: request.urlWithParams,
  });
}

/**
 * What both interceptors do: pick the breaker, send the request through it, and turn a refusal
 * into the configured error. @internal
 */
export function interceptThroughBreaker(
  request: HttpRequest<unknown>,
  next: (request: HttpRequest<unknown>) => Observable<HttpEvent<unknown>>,
  registry: BreakerRegistry | null,
  options: CircuitBreakerInterceptorOptions,
): Observable<HttpEvent<unknown>> {
  const chosen = request.context.get(CIRCUIT_BREAKER);
  if (chosen === false) return next(request);
  const name =
    typeof chosen === 'string'
      ? chosen
      : options.key === undefined
        ? originOf(request.url)
        : options.key(request);
  if (name === false) return next(request);
  if (registry === null) {
    throw new Error(
      'rxjs-fluxgate/angular: no BreakerRegistry to inject; add provideCircuitBreakers() to the ' +
        'providers of the injector that provides HttpClient (or one of its parents)',
    );
  }
  const breaker = registry.get(name);
  const asResponse = options.rejectWith !== 'error';
  return defer(() => {
    // The operator subscribes to the source only when the breaker admits the call, so a
    // CallNotPermittedError seen before that is this breaker's refusal, not a downstream error.
    let admitted = false;
    const source = defer(() => {
      admitted = true;
      return next(request);
    });
    return source.pipe(
      protect(breaker),
      catchError((error: unknown) =>
        throwError(() =>
          !admitted && asResponse && error instanceof CallNotPermittedError
            ? refusalResponse(request, error)
            : error,
        ),
      ),
    );
  });
}
