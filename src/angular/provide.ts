import { makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import {
  BreakerRegistry,
  type BreakerRegistryOptions,
  type CircuitBreakerConfig,
} from 'rxjs-fluxgate';
import * as check from '../internal/validate';
import { browserDefaults } from './browser-defaults';
import {
  checkInterceptorOptions,
  INTERCEPTOR_KEYS,
  INTERCEPTOR_OPTIONS,
  type CircuitBreakerInterceptorOptions,
} from './options';

/**
 * Options of {@link provideCircuitBreakers}: the registry's (`defaults`, `configs`,
 * `maxBreakers`), or a `registry` made by the app, and the interceptors' (`key`, `rejectWith`,
 * `honorRetryAfter`).
 *
 * ## Example
 * ```ts
 * const options: CircuitBreakersOptions = {
 *   defaults: { retry: retries.cooldown(10_000) },
 *   configs: { 'https://payments.example.com': { tripper: trippers.failureStreak(2) } },
 *   honorRetryAfter: true,
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
   * Its breakers follow its own `defaults`, not {@link browserDefaults}: pass
   * `defaults: browserDefaults()` (or at least `tracker: httpFailures()`) to get the policy and
   * the HTTP tracker of the registry `provideCircuitBreakers` makes (without a tracker, every
   * error counts, 404s included). Not allowed together with `defaults` or `configs`, which belong
   * to the registry then.
   */
  readonly registry?: BreakerRegistry;
}

/**
 * Puts a {@link BreakerRegistry} in dependency injection, one per environment injector unless
 * `registry` gives one to share, and the options of the interceptors. Inject the registry by its
 * class: `inject(BreakerRegistry).states$`.
 *
 * Breakers of the registry made here take every field that `defaults` (or, for one name, its
 * `configs` entry) does not set from {@link browserDefaults}, a policy for a page's sparse
 * traffic: open once 5 calls in the last 30 s are recorded and half of them failed; probe after
 * 5 s, backing off to 60 s with ±20% jitter while the backend stays down; the first request after
 * the wait is the one trial (`permits.all()`, `maxHalfOpenCalls: 1`), whose failure reopens and
 * whose success closes the breaker; a trial that hangs is given up after 30 s. They track
 * {@link httpFailures}. A field set to `undefined` counts as not set. A `registry` passed in keeps
 * its own defaults. Add {@link circuitBreakerInterceptor} (or {@link CircuitBreakerInterceptor})
 * to `HttpClient` to send requests through the breakers.
 *
 * ## Example
 * ```ts
 * import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
 * import { BreakerRegistry, retries, trippers } from 'rxjs-fluxgate';
 * import {
 *   browserDefaults,
 *   circuitBreakerInterceptor,
 *   provideCircuitBreakers,
 * } from 'rxjs-fluxgate/angular';
 *
 * // In the browser: one registry per app. Every origin gets the browser defaults and obeys
 * // a Retry-After on its 429s and 503s; payments also opens after 2 failures in a row, and
 * // reopens on a failed trial (entering half_open resets the streak).
 * export const appConfig: ApplicationConfig = {
 *   providers: [
 *     provideCircuitBreakers({
 *       configs: {
 *         'https://payments.example.com': {
 *           tripper: trippers
 *             .failureStreak(2)
 *             .or(trippers.halfOpened().and(trippers.failureStreak(1))),
 *         },
 *       },
 *       honorRetryAfter: true,
 *     }),
 *     provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
 *   ],
 * };
 *
 * // Server-side rendering bootstraps a root injector per request: share one registry, made once
 * // at module level, so a breaker opened during one render still protects the next. Same
 * // policy as the browser's, but a fixed 30 s wait.
 * export const breakers = new BreakerRegistry({
 *   defaults: { ...browserDefaults(), retry: retries.cooldown(30_000) },
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
 *   the interceptors' `key`, `rejectWith` and `honorRetryAfter`. Checked now, so a bad option
 *   fails at startup, not at the first request.
 * @return Providers for `bootstrapApplication`, a route's `providers` or `createEnvironmentInjector`.
 */
export function provideCircuitBreakers(options?: CircuitBreakersOptions): EnvironmentProviders {
  const where = 'provideCircuitBreakers(options)';
  const opts = check.options<CircuitBreakersOptions>(where, options, [
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
  const registryOptions = browserRegistryOptions(where, opts);
  // Made once here only to check the configs; each injector gets its own registry.
  new BreakerRegistry(registryOptions);
  return makeEnvironmentProviders([
    { provide: BreakerRegistry, useFactory: () => new BreakerRegistry(registryOptions) },
    interceptorProvider,
  ]);
}

/** A config without its `undefined` fields, so they do not hide the browser defaults. */
function definedFields(where: string, config: unknown): CircuitBreakerConfig {
  const given = check.options<Record<string, unknown>>(where, config);
  return Object.fromEntries(
    Object.entries(given).filter(([, value]) => value !== undefined),
  ) as CircuitBreakerConfig;
}

/**
 * The registry options: the browser defaults under the given `defaults`; each `configs` entry
 * without its `undefined` fields (the registry merges it over the defaults field by field).
 */
function browserRegistryOptions(
  where: string,
  opts: Partial<CircuitBreakersOptions>,
): BreakerRegistryOptions {
  const defaults = { ...browserDefaults(), ...definedFields(`${where}.defaults`, opts.defaults) };
  const bound = opts.maxBreakers === undefined ? {} : { maxBreakers: opts.maxBreakers };
  if (opts.configs === undefined) return { defaults, ...bound };
  const given = check.options<Record<string, unknown>>(`${where}.configs`, opts.configs);
  const configs = Object.fromEntries(
    Object.entries(given).map(([name, config]) => [
      name,
      definedFields(`${where}.configs.${name}`, config),
    ]),
  );
  return { defaults, configs, ...bound };
}

/** Throws unless `registry` is a `BreakerRegistry` of the same copy of the core as this entry. */
function checkRegistry(where: string, registry: unknown): void {
  if (registry instanceof BreakerRegistry) return;
  const name =
    registry !== null && typeof registry === 'object'
      ? (registry as { constructor?: { name?: unknown } }).constructor?.name
      : undefined;
  const got =
    name === 'BreakerRegistry'
      ? 'a BreakerRegistry of another copy of rxjs-fluxgate (CommonJS and ES module imports mixed?)'
      : check.describe(registry);
  throw new TypeError(`${where}.registry: expected a BreakerRegistry, got ${got}`);
}
