import { HttpErrorResponse, HttpRequest } from '@angular/common/http';
import {
  BreakerRegistry,
  CallNotPermittedError,
  trackers,
  type CircuitBreakerConfig,
} from 'rxjs-fluxgate';
import { circuitBreakerInterceptor, provideCircuitBreakers } from '../../src/angular';
import { originOf, refusalResponse } from '../../src/angular/intercept';
import { rootInjector } from './helpers/injector';

describe('provideCircuitBreakers(options)', () => {
  test('rejects an unknown option, naming it and the known ones', () => {
    expect(() => provideCircuitBreakers({ default: {} } as never)).toThrow(
      new TypeError(
        'provideCircuitBreakers(options): unknown option "default" (expected registry, defaults, configs, maxBreakers, key, rejectWith or honorRetryAfter)',
      ),
    );
    expect(() => provideCircuitBreakers([] as never)).toThrow(
      /expected an options object, got an array/,
    );
    expect(() => provideCircuitBreakers(null as never)).toThrow(
      /expected an options object, got null/,
    );
  });

  test('checks the interceptor options', () => {
    expect(() => provideCircuitBreakers({ rejectWith: 'throw' as never })).toThrow(
      new TypeError(
        'provideCircuitBreakers(options).rejectWith: expected "response" or "error", got "throw"',
      ),
    );
    expect(() => provideCircuitBreakers({ key: 'origin' as never })).toThrow(
      /\.key: expected a function, got "origin"/,
    );
  });

  test('checks the breaker configs at once, not at the first request', () => {
    expect(() => provideCircuitBreakers({ defaults: { maxHalfOpenCalls: 0 } })).toThrow(
      /maxHalfOpenCalls/,
    );
    const bad = { retry: {} } as unknown as CircuitBreakerConfig;
    expect(() => provideCircuitBreakers({ configs: { payments: bad } })).toThrow(/retry/);
  });

  test('a registry comes with its own defaults and configs: combining them is an error naming the option', () => {
    const registry = new BreakerRegistry();
    expect(() => provideCircuitBreakers({ registry, defaults: {} })).toThrow(
      new TypeError(
        'provideCircuitBreakers(options): "registry" and "defaults" cannot be combined; give defaults to the BreakerRegistry you pass as "registry"',
      ),
    );
    expect(() => provideCircuitBreakers({ registry, configs: { payments: {} } })).toThrow(
      /"registry" and "configs" cannot be combined; give configs to the BreakerRegistry/,
    );
    // Interceptor options still go with it, and are still checked.
    expect(() =>
      provideCircuitBreakers({ registry, rejectWith: 'error', key: () => 'api' }),
    ).not.toThrow();
    expect(() => provideCircuitBreakers({ registry, rejectWith: 'nope' as never })).toThrow(
      /\.rejectWith: expected "response" or "error"/,
    );
  });

  test('registry must be a BreakerRegistry', () => {
    const bad = (registry: unknown) => () =>
      provideCircuitBreakers({ registry: registry as BreakerRegistry });
    const message = (got: string) =>
      new TypeError(
        `provideCircuitBreakers(options).registry: expected a BreakerRegistry, got ${got}`,
      );
    expect(bad({ get: () => undefined })).toThrow(message('an object'));
    expect(bad(null)).toThrow(message('null'));
    expect(bad('breakers')).toThrow(message('"breakers"'));
    expect(bad([])).toThrow(message('an array of length 0'));
    expect(bad(new Map())).toThrow(message('a Map'));
    // What a BreakerRegistry from a second copy of the core (the CommonJS build) looks like.
    class BreakerRegistryCopy {}
    Object.defineProperty(BreakerRegistryCopy, 'name', { value: 'BreakerRegistry' });
    expect(bad(new BreakerRegistryCopy())).toThrow(
      /got a BreakerRegistry of another copy of rxjs-fluxgate/,
    );
  });

  test('registry: undefined is the same as leaving it out', async () => {
    const make = () =>
      rootInjector([provideCircuitBreakers({ registry: undefined, defaults: {} })]);
    const first = make();
    const second = make();
    const registry = first.get(BreakerRegistry);
    expect(second.get(BreakerRegistry)).not.toBe(registry);
    // Made here, so httpFailures() is its tracker and a 404 is ignored.
    const notFound = new HttpErrorResponse({ status: 404 });
    const events: string[] = [];
    registry.get('api').events$.subscribe((e) => events.push(e.type));
    await expect(registry.get('api').call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(events).toEqual(['ignored']);
    first.destroy();
    second.destroy();
  });

  test('a given registry is provided as is, without httpFailures() added to its defaults', async () => {
    const registry = new BreakerRegistry();
    const injector = rootInjector([provideCircuitBreakers({ registry })]);
    expect(injector.get(BreakerRegistry)).toBe(registry);
    const notFound = new HttpErrorResponse({ status: 404 });
    const events: string[] = [];
    registry.get('api').events$.subscribe((e) => events.push(e.type));
    await expect(registry.get('api').call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(events).toEqual(['failure']);
    injector.destroy();
  });

  test("a name's config in configs replaces the default tracker, the others keep httpFailures()", async () => {
    const injector = rootInjector([
      provideCircuitBreakers({ configs: { strict: { tracker: trackers.all() } } }),
    ]);
    const registry = injector.get(BreakerRegistry);
    const notFound = new HttpErrorResponse({ status: 404 });
    const events: string[] = [];
    for (const name of ['strict', 'lenient']) {
      registry.get(name).events$.subscribe((e) => events.push(`${name}:${e.type}`));
      await expect(registry.get(name).call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    }
    expect(events).toEqual(['strict:failure', 'lenient:ignored']);
    injector.destroy();
  });
});

describe('circuitBreakerInterceptor(options)', () => {
  test('checks its options when made', () => {
    expect(() => circuitBreakerInterceptor({ rejectWith: 'fallback' as never })).toThrow(
      /circuitBreakerInterceptor\(options\)\.rejectWith/,
    );
    expect(() => circuitBreakerInterceptor({ name: 'x' } as never)).toThrow(
      'circuitBreakerInterceptor(options): unknown option "name" (expected key, rejectWith or honorRetryAfter)',
    );
  });
});

describe('the default breaker key', () => {
  afterEach(() => {
    delete (globalThis as { location?: unknown }).location;
  });

  test('is the origin: scheme, host and port, the default port left out', () => {
    expect(originOf('http://127.0.0.1:8080/a/b?c=1')).toBe('http://127.0.0.1:8080');
    expect(originOf('https://api.example.com:443/users')).toBe('https://api.example.com');
    expect(originOf('http://api.example.com:443/users')).toBe('http://api.example.com:443');
    expect(originOf('HTTPS://API.Example.com/x')).toBe('https://api.example.com');
  });

  test("resolves a relative URL against the page, or names it 'same-origin' without one", () => {
    expect(originOf('/api/users')).toBe('same-origin');
    (globalThis as { location?: unknown }).location = { href: 'https://app.example.com/home' };
    expect(originOf('/api/users')).toBe('https://app.example.com');
    expect(originOf('https://cdn.example.com/x')).toBe('https://cdn.example.com');
  });
});

describe('the refusal response', () => {
  const request = new HttpRequest('GET', 'https://api.example.com/users');

  test('carries Retry-After in whole seconds, rounded up, when the wait is known', () => {
    const at = (ms: number) =>
      refusalResponse(request, new CallNotPermittedError('api', 'open', ms)).headers.get(
        'Retry-After',
      );
    expect([at(1), at(999), at(1000), at(1001), at(0)]).toEqual(['1', '1', '1', '2', '0']);
  });

  test('has no Retry-After when the wait is unknown', () => {
    const refusal = refusalResponse(request, new CallNotPermittedError('api', 'forced_open'));
    expect(refusal.status).toBe(503);
    expect(refusal.headers.has('Retry-After')).toBe(false);
    expect(refusal.message).toContain('503 Service Unavailable');
  });
});
