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
import { serverWait } from './retry-after';

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

/** Per breaker, the errors its tracker counted as failures (seen on `events$`). */
const failures = new WeakMap<CircuitBreaker, WeakSet<object>>();

/**
 * The errors `breaker` has recorded as failures, or counted as failures of stale calls, from now
 * on: the tracker's verdict, read from `events$` (which emits each outcome before the subscriber
 * gets its error). Subscribed once per breaker, when the first request that needs it is made.
 */
function trackedFailures(breaker: CircuitBreaker): WeakSet<object> {
  let tracked = failures.get(breaker);
  if (tracked === undefined) {
    const errors = new WeakSet<object>();
    breaker.events$.subscribe((event) => {
      if (event.type === 'failure' && event.error instanceof HttpErrorResponse) {
        errors.add(event.error);
      }
    });
    failures.set(breaker, errors);
    tracked = errors;
  }
  return tracked;
}

/** The states in which a server's `Retry-After` may open the breaker (not after a command). */
const HONORED_IN: ReadonlySet<string> = new Set(['closed', 'open', 'half_open']);

/**
 * Opens `breaker` for the server's wait when `error` is a tracked 429 or 503 with a valid
 * `Retry-After` (SPEC rule 6.2), after the breaker has recorded it (and maybe opened already).
 */
function honorRetryAfter(breaker: CircuitBreaker, tracked: WeakSet<object>, error: unknown): void {
  if (!HONORED_IN.has(breaker.state)) return;
  if (typeof error !== 'object' || error === null || !tracked.has(error)) return;
  const wait = serverWait(error);
  if (wait !== undefined) breaker.openFor(wait);
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
  const tracked = options.honorRetryAfter === true ? trackedFailures(breaker) : undefined;
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
      catchError((error: unknown) => {
        if (!admitted) {
          return throwError(() =>
            asResponse && error instanceof CallNotPermittedError
              ? refusalResponse(request, error)
              : error,
          );
        }
        if (tracked !== undefined) honorRetryAfter(breaker, tracked, error);
        return throwError(() => error);
      }),
    );
  });
}
