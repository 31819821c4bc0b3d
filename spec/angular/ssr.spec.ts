import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import type { EnvironmentProviders, Provider } from '@angular/core';
import { firstValueFrom, type Observable } from 'rxjs';
import {
  BreakerRegistry,
  CallNotPermittedError,
  permits,
  retries,
  trippers,
  type CircuitBreakerConfig,
} from 'rxjs-fluxgate';
import {
  circuitBreakerInterceptor,
  httpFailures,
  provideCircuitBreakers,
  type CircuitBreakersOptions,
} from '../../src/angular';
import { ManualClock } from '../helpers/clock';
import { startBackend, type Backend } from './helpers/backend';
import { rootInjector } from './helpers/injector';

// Server-side rendering bootstraps a new root injector from the same providers for every request
// and destroys it when the page is sent. Each render below is such an injector with the real
// HttpClient, calling a Node server on 127.0.0.1.

let backend: Backend;

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  await backend.close();
});

/** Settles `request` and returns its error (failing the test if it succeeded). */
async function errorOf(request: Observable<unknown>): Promise<unknown> {
  return firstValueFrom(request).then(
    (value) => {
      throw new Error(`expected an error, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** What the server's app config would hold: the same providers for every render. */
function serverProviders(options: CircuitBreakersOptions): Array<Provider | EnvironmentProviders> {
  return [
    provideCircuitBreakers(options),
    provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
  ];
}

/** Renders one page: a root injector from `providers` that requests `path`, then is destroyed. */
async function render(
  providers: Array<Provider | EnvironmentProviders>,
  path: string,
): Promise<{ error: unknown; reachedServer: boolean }> {
  const injector = rootInjector(providers);
  const seen = backend.paths.length;
  try {
    const error = await errorOf(injector.get(HttpClient).get(`${backend.origin}${path}`));
    return { error, reachedServer: backend.paths.length > seen };
  } finally {
    injector.destroy();
  }
}

/**
 * Opens after one failure and stays open for 30 s of a clock that only the test moves; then every
 * trial is admitted.
 */
function policy(clock: ManualClock): CircuitBreakerConfig {
  return {
    tripper: trippers.failureStreak(1),
    retry: retries.cooldown(30_000),
    permit: permits.all(),
    scheduler: clock,
  };
}

test('with a shared registry, a breaker opened during one render refuses in the next', async () => {
  const clock = new ManualClock(0);
  const registry = new BreakerRegistry({ defaults: { tracker: httpFailures(), ...policy(clock) } });
  const providers = serverProviders({ registry });

  const first = await render(providers, '/down');
  expect(first.reachedServer).toBe(true);
  expect(first.error).toMatchObject({ status: 503, error: { error: 'down' } });
  expect(registry.get(backend.origin).state).toBe('open');

  clock.advance(12_500);
  const second = await render(providers, '/ok');
  expect(second.reachedServer).toBe(false);
  expect(second.error).toMatchObject({ status: 503 });
  expect((second.error as { error: unknown }).error).toBeInstanceOf(CallNotPermittedError);
  expect(
    (second.error as { headers: { get(n: string): string | null } }).headers.get('Retry-After'),
  ).toBe('18');

  // After the cooldown a later render's probe goes through and closes the breaker for all.
  clock.advance(17_500);
  const injector = rootInjector(providers);
  await expect(
    firstValueFrom(injector.get(HttpClient).get(`${backend.origin}/ok`)),
  ).resolves.toEqual({ ok: true });
  injector.destroy();
  expect(registry.get(backend.origin).state).toBe('closed');
});

test('every render injects the same registry, and destroying a render leaves it working', () => {
  const registry = new BreakerRegistry();
  const providers = serverProviders({ registry });
  const first = rootInjector(providers);
  const second = rootInjector(providers);
  expect(first.get(BreakerRegistry)).toBe(registry);
  expect(second.get(BreakerRegistry)).toBe(registry);
  first.destroy();
  second.destroy();
  expect(registry.get('after').state).toBe('closed');
});

test('without a shared registry each render starts with closed breakers (why the option exists)', async () => {
  const clock = new ManualClock(0);
  const providers = serverProviders({ defaults: policy(clock) });
  expect((await render(providers, '/down')).reachedServer).toBe(true);
  const second = await render(providers, '/down');
  expect(second.reachedServer).toBe(true);
  expect(second.error).toMatchObject({ status: 503, error: { error: 'down' } });
});

test('a shared registry keeps its own tracker: without httpFailures() a 404 counts', async () => {
  const clock = new ManualClock(0);
  const plain = new BreakerRegistry({ defaults: policy(clock) });
  await render(serverProviders({ registry: plain }), '/missing');
  expect(plain.get(backend.origin).state).toBe('open');

  const http = new BreakerRegistry({ defaults: { tracker: httpFailures(), ...policy(clock) } });
  await render(serverProviders({ registry: http }), '/missing');
  expect(http.get(backend.origin).state).toBe('closed');
});

test("listed after the browser's provideCircuitBreakers, as mergeApplicationConfig puts it, the server's wins, with its key and rejectWith", async () => {
  const breakers = new BreakerRegistry({ defaults: { tracker: httpFailures() } });
  const browser = provideCircuitBreakers({ rejectWith: 'error', key: () => 'browser' });
  const server = provideCircuitBreakers({ registry: breakers });
  const injector = rootInjector([
    browser,
    provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
    server,
  ]);
  expect(injector.get(BreakerRegistry)).toBe(breakers);
  await firstValueFrom(injector.get(HttpClient).get(`${backend.origin}/ok`));
  // The browser's key is gone too: the server's providers name breakers by origin.
  expect(breakers.names()).toEqual([backend.origin]);
  injector.destroy();
});
