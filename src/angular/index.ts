/**
 * rxjs-fluxgate/angular: circuit breakers for Angular's `HttpClient`, one per backend by default,
 * with their registry in dependency injection.
 *
 * ## Example
 * ```ts
 * import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
 * import { circuitBreakerInterceptor, provideCircuitBreakers } from 'rxjs-fluxgate/angular';
 *
 * providers: [
 *   provideCircuitBreakers(),
 *   provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
 * ];
 * ```
 *
 * @packageDocumentation
 */
export { browserDefaults, type BrowserDefaults } from './browser-defaults';
export { CIRCUIT_BREAKER } from './context';
export { httpFailures } from './http-failures';
export { CircuitBreakerInterceptor, circuitBreakerInterceptor } from './interceptor';
export type { CircuitBreakerInterceptorOptions } from './options';
export { provideCircuitBreakers, type CircuitBreakersOptions } from './provide';
