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
        'provideCircuitBreakers(options): unknown option "default" (expected defaults, configs, key, rejectWith)',
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
        'provideCircuitBreakers(options).rejectWith: expected "response" or "error", got throw',
      ),
    );
    expect(() => provideCircuitBreakers({ key: 'origin' as never })).toThrow(
      /\.key: expected a function, got string/,
    );
  });

  test('checks the breaker configs at once, not at the first request', () => {
    expect(() => provideCircuitBreakers({ defaults: { maxHalfOpenCalls: 0 } })).toThrow(
      /maxHalfOpenCalls/,
    );
    const bad = { retry: {} } as unknown as CircuitBreakerConfig;
    expect(() => provideCircuitBreakers({ configs: { payments: bad } })).toThrow(/retry/);
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
      'circuitBreakerInterceptor(options): unknown option "name" (expected key, rejectWith)',
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
