import { HttpContextToken } from '@angular/common/http';

/**
 * Chooses the breaker of one request, through its `HttpContext`: `null` (the default) lets the
 * interceptor's key pick it (the request URL's origin unless `key` is configured), a string
 * names the breaker to use, and `false` sends the request without any breaker.
 *
 * ## Example
 * ```ts
 * import { HttpContext } from '@angular/common/http';
 * import { CIRCUIT_BREAKER } from 'rxjs-fluxgate/angular';
 *
 * // Health checks must reach a backend even while its breaker is open.
 * http.get('/api/health', { context: new HttpContext().set(CIRCUIT_BREAKER, false) });
 * // Reports share one breaker, whatever host serves them.
 * http.get(url, { context: new HttpContext().set(CIRCUIT_BREAKER, 'reports') });
 * ```
 */
export const CIRCUIT_BREAKER = new HttpContextToken<string | false | null>(() => null);
