import { makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import { BreakerRegistry, type BreakerRegistryOptions } from 'rxjs-fluxgate';
import { httpFailures } from './http-failures';
import {
  checkInterceptorOptions,
  checkOptionsObject,
  INTERCEPTOR_KEYS,
  INTERCEPTOR_OPTIONS,
  type CircuitBreakerInterceptorOptions,
} from './options';

/**
 * Options of {@link provideCircuitBreakers}: the registry's (`defaults`, `configs`) and the
 * interceptors' (`key`, `rejectWith`).
 *
 * ## Example
 * ```ts
 * const options: CircuitBreakersOptions = {
 *   defaults: { tripper: trippers.failureStreak(5) },
 *   configs: { 'https://payments.example.com': { retry: retries.cooldown(120_000) } },
 *   rejectWith: 'response',
 * };
 * provideCircuitBreakers(options);
 * ```
 */
export interface CircuitBreakersOptions
  extends BreakerRegistryOptions, CircuitBreakerInterceptorOptions {}

/**
 * Puts a {@link BreakerRegistry} in dependency injection, one per environment injector, and the
 * options of the interceptors. Inject the registry by its class:
 * `inject(BreakerRegistry).states$`.
 *
 * Breakers made by this registry track {@link httpFailures} unless `defaults` (or a name's entry
 * in `configs`) gives another `tracker`. Add {@link circuitBreakerInterceptor} (or
 * {@link CircuitBreakerInterceptor}) to `HttpClient` to send requests through them.
 *
 * ## Example
 * ```ts
 * import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
 * import { retries, trippers } from 'rxjs-fluxgate';
 * import { circuitBreakerInterceptor, provideCircuitBreakers } from 'rxjs-fluxgate/angular';
 *
 * export const appConfig: ApplicationConfig = {
 *   providers: [
 *     provideCircuitBreakers({
 *       defaults: { tripper: trippers.failureStreak(5), retry: retries.cooldown(30_000) },
 *       configs: { 'https://payments.example.com': { tripper: trippers.failureStreak(2) } },
 *     }),
 *     provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
 *   ],
 * };
 * ```
 *
 * @param options The registry's `defaults` and `configs`, and the interceptors' `key` and
 *   `rejectWith`. Checked now, so a bad option fails at startup, not at the first request.
 * @return Providers for `bootstrapApplication`, a route's `providers` or `createEnvironmentInjector`.
 */
export function provideCircuitBreakers(options?: CircuitBreakersOptions): EnvironmentProviders {
  const where = 'provideCircuitBreakers(options)';
  const opts: CircuitBreakersOptions = checkOptionsObject(where, options, [
    'defaults',
    'configs',
    ...INTERCEPTOR_KEYS,
  ]);
  const interceptorOptions = checkInterceptorOptions(where, opts);
  const registryOptions: BreakerRegistryOptions = {
    defaults: { ...opts.defaults, tracker: opts.defaults?.tracker ?? httpFailures() },
    ...(opts.configs === undefined ? {} : { configs: opts.configs }),
  };
  // Made once here only to check the configs; each injector gets its own registry.
  new BreakerRegistry(registryOptions);
  return makeEnvironmentProviders([
    { provide: BreakerRegistry, useFactory: () => new BreakerRegistry(registryOptions) },
    { provide: INTERCEPTOR_OPTIONS, useValue: interceptorOptions },
  ]);
}
