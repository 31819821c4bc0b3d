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
 * Options of {@link provideCircuitBreakers}: the registry's (`defaults`, `configs`,
 * `maxBreakers`), or a `registry` made by the app, and the interceptors' (`key`, `rejectWith`).
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
  extends BreakerRegistryOptions, CircuitBreakerInterceptorOptions {
  /**
   * A registry to provide as is, instead of one made per environment injector. Use it when the
   * app's injectors are short-lived but the breakers must outlive them: under server-side
   * rendering every request bootstraps a new root injector, so a registry made per injector would
   * forget each failure with the render that saw it. Make it once, at module level.
   *
   * Its breakers track what its own `defaults` say: pass `tracker: httpFailures()` to count HTTP
   * failures as the registry `provideCircuitBreakers` makes does (without a tracker, every error
   * counts, 404s included). Not allowed together with `defaults` or `configs`, which belong to
   * the registry then.
   */
  readonly registry?: BreakerRegistry;
}

/**
 * Puts a {@link BreakerRegistry} in dependency injection, one per environment injector unless
 * `registry` gives one to share, and the options of the interceptors. Inject the registry by its
 * class: `inject(BreakerRegistry).states$`.
 *
 * Breakers of the registry made here track {@link httpFailures} unless `defaults` (or a name's
 * entry in `configs`) gives another `tracker`. A `registry` passed in keeps its own defaults: give
 * it `tracker: httpFailures()` yourself. Add {@link circuitBreakerInterceptor} (or
 * {@link CircuitBreakerInterceptor}) to `HttpClient` to send requests through the breakers.
 *
 * ## Example
 * ```ts
 * import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
 * import { BreakerRegistry, retries, trippers } from 'rxjs-fluxgate';
 * import {
 *   circuitBreakerInterceptor,
 *   httpFailures,
 *   provideCircuitBreakers,
 * } from 'rxjs-fluxgate/angular';
 *
 * // In the browser: one registry per app, made from these options.
 * export const appConfig: ApplicationConfig = {
 *   providers: [
 *     provideCircuitBreakers({
 *       defaults: { tripper: trippers.failureStreak(5), retry: retries.cooldown(30_000) },
 *       configs: { 'https://payments.example.com': { tripper: trippers.failureStreak(2) } },
 *     }),
 *     provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
 *   ],
 * };
 *
 * // Server-side rendering bootstraps a root injector per request: share one registry, made once
 * // at module level, so a breaker opened during one render still protects the next.
 * export const breakers = new BreakerRegistry({
 *   defaults: { tracker: httpFailures(), tripper: trippers.failureStreak(5) },
 * });
 * export const serverConfig: ApplicationConfig = {
 *   providers: [
 *     provideCircuitBreakers({ registry: breakers }),
 *     provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
 *   ],
 * };
 * ```
 *
 * @param options The registry's `defaults` and `configs`, or a `registry` to share (not both), and
 *   the interceptors' `key` and `rejectWith`. Checked now, so a bad option fails at startup, not
 *   at the first request.
 * @return Providers for `bootstrapApplication`, a route's `providers` or `createEnvironmentInjector`.
 */
export function provideCircuitBreakers(options?: CircuitBreakersOptions): EnvironmentProviders {
  const where = 'provideCircuitBreakers(options)';
  const opts: CircuitBreakersOptions = checkOptionsObject(where, options, [
    'registry',
    'defaults',
    'configs',
    'maxBreakers',
    ...INTERCEPTOR_KEYS,
  ]);
  const interceptorOptions = checkInterceptorOptions(where, opts);
  const interceptorProvider = { provide: INTERCEPTOR_OPTIONS, useValue: interceptorOptions };
  const { registry } = opts;
  if (registry !== undefined) {
    checkRegistry(where, registry);
    for (const name of ['defaults', 'configs', 'maxBreakers'] as const) {
      if (opts[name] !== undefined) {
        throw new TypeError(
          `${where}: "registry" and "${name}" cannot be combined; give ${name} to the ` +
            `BreakerRegistry you pass as "registry"`,
        );
      }
    }
    return makeEnvironmentProviders([
      { provide: BreakerRegistry, useValue: registry },
      interceptorProvider,
    ]);
  }
  const registryOptions: BreakerRegistryOptions = {
    defaults: { ...opts.defaults, tracker: opts.defaults?.tracker ?? httpFailures() },
    ...(opts.configs === undefined ? {} : { configs: opts.configs }),
    ...(opts.maxBreakers === undefined ? {} : { maxBreakers: opts.maxBreakers }),
  };
  // Made once here only to check the configs; each injector gets its own registry.
  new BreakerRegistry(registryOptions);
  return makeEnvironmentProviders([
    { provide: BreakerRegistry, useFactory: () => new BreakerRegistry(registryOptions) },
    interceptorProvider,
  ]);
}

/** Throws unless `registry` is a `BreakerRegistry` of the same copy of the core as this entry. */
function checkRegistry(where: string, registry: unknown): void {
  if (registry instanceof BreakerRegistry) return;
  let got: string;
  if (registry === null) got = 'null';
  else if (Array.isArray(registry)) got = 'an array';
  else if (typeof registry !== 'object') got = typeof registry;
  else {
    const name = (registry as { constructor?: { name?: unknown } }).constructor?.name;
    got =
      name === 'BreakerRegistry'
        ? 'a BreakerRegistry of another copy of rxjs-fluxgate (CommonJS and ES module imports mixed?)'
        : typeof name === 'string' && name !== 'Object'
          ? `a ${name}`
          : 'an object';
  }
  throw new TypeError(`${where}.registry: expected a BreakerRegistry, got ${got}`);
}
