import { HttpErrorResponse } from '@angular/common/http';
import { trackers, type ComposableTracker } from 'rxjs-fluxgate';
import * as check from '../internal/validate';

/**
 * Whether an HTTP status is the server's or the network's fault: 0 (no response: network error,
 * connection dropped, CORS), 408 Request Timeout, 429 Too Many Requests, or any 5xx.
 */
function isServerOrNetworkFault(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * A tracker for `HttpClient` errors: an `HttpErrorResponse` whose status says the backend is in
 * trouble counts as a failure; any other error, including the 4xx a client caused, is ignored
 * (passed on to the subscriber, not recorded).
 *
 * It is the default tracker of the registry {@link provideCircuitBreakers} makes; a
 * `BreakerRegistry` you make yourself (for its `registry` option) tracks it only if you pass it:
 * `new BreakerRegistry({ defaults: { tracker: httpFailures() } })`. It is composable like the
 * core's trackers, so other errors can be added with `.or()`.
 *
 * ## Example
 * ```ts
 * import { TimeoutError } from 'rxjs';
 * import { trackers } from 'rxjs-fluxgate';
 * import { httpFailures, provideCircuitBreakers } from 'rxjs-fluxgate/angular';
 *
 * provideCircuitBreakers({
 *   defaults: { tracker: httpFailures().or(trackers.typeOf(TimeoutError)) },
 *   configs: { 'https://search.example.com': { tracker: httpFailures([500, 502, 503, 504]) } },
 * });
 * httpFailures().tracks(new HttpErrorResponse({ status: 503 }));
 * // Output: true
 * httpFailures().tracks(new HttpErrorResponse({ status: 404 }));
 * // Output: false
 * ```
 *
 * @param statuses The statuses that count as failures, as a list or a predicate. Default: 0, 408,
 *   429 and 500 to 599.
 * @return A composable tracker that counts an `HttpErrorResponse` whose status `statuses` accepts.
 */
export function httpFailures(
  statuses?: readonly number[] | ((status: number) => boolean),
): ComposableTracker {
  const where = 'httpFailures(statuses)';
  let counts: (status: number) => boolean;
  if (statuses === undefined) {
    counts = isServerOrNetworkFault;
  } else if (typeof statuses === 'function') {
    counts = statuses;
  } else if (Array.isArray(statuses)) {
    statuses.forEach((status: unknown, i) => {
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 0 || status > 999) {
        throw new RangeError(
          `${where}[${i}]: expected an HTTP status (0 to 999), got ${check.describe(status)}`,
        );
      }
    });
    const set: ReadonlySet<number> = new Set(statuses);
    counts = (status) => set.has(status);
  } else {
    throw new TypeError(
      `${where}: expected an array of statuses or a function, got ${check.describe(statuses)}`,
    );
  }
  return trackers.custom(
    (error) => error instanceof HttpErrorResponse && counts(error.status) === true,
  );
}
