import {
  createEnvironmentInjector,
  Injector,
  provideZonelessChangeDetection,
  ɵINJECTOR_SCOPE as INJECTOR_SCOPE,
  type EnvironmentInjector,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';

/**
 * An environment injector that stands in for an application's root injector: `HttpClient` and
 * the services it needs are `providedIn: 'root'`, so the injector must have the root scope.
 * Without a bootstrapped application that scope can only be set through Angular's private
 * `ɵINJECTOR_SCOPE` token; that is test scaffolding only, the library does not use it. Zoneless
 * change detection provides the `NgZone` that `FetchBackend` injects, without zone.js.
 */
export function rootInjector(
  providers: Array<Provider | EnvironmentProviders>,
): EnvironmentInjector {
  const platform = Injector.create({ providers: [], name: 'platform' }) as EnvironmentInjector;
  return createEnvironmentInjector(
    [{ provide: INJECTOR_SCOPE, useValue: 'root' }, provideZonelessChangeDetection(), ...providers],
    platform,
    'test root',
  );
}
