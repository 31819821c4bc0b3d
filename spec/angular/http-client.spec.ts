import {
  HTTP_INTERCEPTORS,
  HttpClient,
  HttpContext,
  HttpErrorResponse,
  HttpEventType,
  provideHttpClient,
  withFetch,
  withInterceptors,
  withInterceptorsFromDi,
  type HttpEvent,
} from '@angular/common/http';
import type { EnvironmentInjector, EnvironmentProviders, Provider } from '@angular/core';
import { firstValueFrom, type Observable } from 'rxjs';
import {
  BreakerRegistry,
  CallNotPermittedError,
  permits,
  retries,
  trackers,
  trippers,
  type BreakerEvent,
  type State,
} from 'rxjs-fluxgate';
import {
  CIRCUIT_BREAKER,
  CircuitBreakerInterceptor,
  circuitBreakerInterceptor,
  provideCircuitBreakers,
  type CircuitBreakersOptions,
} from '../../src/angular';
import { ManualClock } from '../helpers/clock';
import { startBackend, type Backend } from './helpers/backend';
import { rootInjector } from './helpers/injector';

/** How the interceptor is registered: the two forms must behave the same. */
interface Wiring {
  readonly name: string;
  readonly providers: () => Array<Provider | EnvironmentProviders>;
}

const wirings: Wiring[] = [
  {
    name: 'circuitBreakerInterceptor() in withInterceptors',
    providers: () => [
      provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
    ],
  },
  {
    name: 'CircuitBreakerInterceptor in HTTP_INTERCEPTORS',
    providers: () => [
      provideHttpClient(withFetch(), withInterceptorsFromDi()),
      { provide: HTTP_INTERCEPTORS, useClass: CircuitBreakerInterceptor, multi: true },
    ],
  },
];

/** Settles `request` and returns its error (failing the test if it succeeded). */
async function errorOf(request: Observable<unknown>): Promise<unknown> {
  return firstValueFrom(request).then(
    (value) => {
      throw new Error(`expected an error, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Settles `request` and returns its error, which must be an `HttpErrorResponse`. */
async function httpErrorOf(request: Observable<unknown>): Promise<HttpErrorResponse> {
  const error = await errorOf(request);
  expect(error).toBeInstanceOf(HttpErrorResponse);
  return error as HttpErrorResponse;
}

let a: Backend;
let b: Backend;
const injectors: EnvironmentInjector[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startBackend(), startBackend()]);
});

afterEach(() => {
  for (const injector of injectors.splice(0)) injector.destroy();
});

afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe.each(wirings)('$name', (wiring) => {
  /**
   * An app whose breakers open after 2 failures in a row and probe after 30 s, with every trial
   * admitted, on a clock the test moves.
   */
  function app(options: CircuitBreakersOptions = {}) {
    const clock = new ManualClock(1_000);
    const injector = rootInjector([
      provideCircuitBreakers({
        ...options,
        defaults: {
          tripper: trippers.failureStreak(2),
          retry: retries.cooldown(30_000),
          permit: permits.all(),
          scheduler: clock,
          ...options.defaults,
        },
      }),
      ...wiring.providers(),
    ]);
    injectors.push(injector);
    return { clock, http: injector.get(HttpClient), registry: injector.get(BreakerRegistry) };
  }

  /** Sends two requests that a server answers with 503, which opens the origin's breaker. */
  async function trip(http: HttpClient, backend: Backend): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const error = await httpErrorOf(http.get(`${backend.origin}/down`));
      expect(error.status).toBe(503);
      expect(error.error).toEqual({ error: 'down' });
    }
  }

  test('a failing origin trips its breaker; then requests get a 503 with Retry-After and never reach it', async () => {
    const { clock, http, registry } = app();
    await trip(http, a);
    expect(registry.get(a.origin).state).toBe('open');
    const seen = a.paths.length;

    const refused = await httpErrorOf(http.get(`${a.origin}/ok`));
    expect(refused.status).toBe(503);
    expect(refused.statusText).toBe('Service Unavailable');
    expect(refused.url).toBe(`${a.origin}/ok`);
    expect(refused.error).toBeInstanceOf(CallNotPermittedError);
    expect((refused.error as CallNotPermittedError).breakerName).toBe(a.origin);
    expect(refused.headers.get('Retry-After')).toBe('30');

    clock.advance(10_700); // 19.3 s left: rounded up
    const later = await httpErrorOf(http.get(`${a.origin}/ok`, { params: { q: '1' } }));
    expect(later.headers.get('Retry-After')).toBe('20');
    expect(later.url).toBe(`${a.origin}/ok?q=1`);
    expect(a.paths.length).toBe(seen);
    expect(registry.get(a.origin).info().notPermittedCount).toBe(2);
  });

  test('a second origin on another port keeps its own closed breaker', async () => {
    const { http, registry } = app();
    await trip(http, a);
    await expect(firstValueFrom(http.get(`${b.origin}/ok`))).resolves.toEqual({ ok: true });
    expect(registry.names()).toEqual([a.origin, b.origin]);
    expect(registry.get(a.origin).state).toBe('open');
    expect(registry.get(b.origin).state).toBe('closed');
    expect(registry.get(b.origin).info().metrics.totalCount).toBe(1);
  });

  test('404s are ignored and never trip; 429 and a dropped connection (status 0) count', async () => {
    const { http, registry } = app();
    const events: BreakerEvent[] = [];
    registry.get(a.origin).events$.subscribe((e) => events.push(e));
    for (let i = 0; i < 5; i++) {
      expect((await httpErrorOf(http.get(`${a.origin}/missing`))).status).toBe(404);
    }
    expect(registry.get(a.origin).state).toBe('closed');
    expect(events.map((e) => e.type)).toEqual(Array(5).fill('ignored'));
    expect(registry.get(a.origin).info().metrics.totalCount).toBe(0);

    expect((await httpErrorOf(http.get(`${a.origin}/slow-down`))).status).toBe(429);
    expect((await httpErrorOf(http.get(`${a.origin}/drop`))).status).toBe(0);
    expect(events.slice(5).map((e) => e.type)).toEqual(['failure', 'failure']);
    expect(registry.get(a.origin).state).toBe('open');
  });

  test('a tracker in the defaults replaces httpFailures()', async () => {
    const { http, registry } = app({ defaults: { tracker: trackers.all() } });
    await httpErrorOf(http.get(`${a.origin}/missing`));
    await httpErrorOf(http.get(`${a.origin}/missing`));
    expect(registry.get(a.origin).state).toBe('open');
  });

  test('CIRCUIT_BREAKER false bypasses an open breaker; nothing is recorded', async () => {
    const { http, registry } = app();
    await trip(http, a);
    const breaker = registry.get(a.origin);
    const before = breaker.info();
    const bypass = new HttpContext().set(CIRCUIT_BREAKER, false);
    await expect(firstValueFrom(http.get(`${a.origin}/ok`, { context: bypass }))).resolves.toEqual({
      ok: true,
    });
    expect(a.paths.at(-1)).toBe('/ok');
    expect((await httpErrorOf(http.get(`${a.origin}/down`, { context: bypass }))).status).toBe(503);
    expect(breaker.info()).toEqual(before);
  });

  test('CIRCUIT_BREAKER with a name uses that breaker, across origins', async () => {
    const { http, registry } = app();
    const reports = new HttpContext().set(CIRCUIT_BREAKER, 'reports');
    await httpErrorOf(http.get(`${a.origin}/down`, { context: reports }));
    await httpErrorOf(http.get(`${b.origin}/down`, { context: reports }));
    expect(registry.names()).toEqual(['reports']);
    expect(registry.get('reports').state).toBe('open');
    const refused = await httpErrorOf(http.get(`${b.origin}/ok`, { context: reports }));
    expect((refused.error as CallNotPermittedError).breakerName).toBe('reports');
    // The origins' own breakers are untouched.
    await expect(firstValueFrom(http.get(`${b.origin}/ok`))).resolves.toEqual({ ok: true });
  });

  test('after the cooldown a probe goes through and a good answer closes the breaker; states$ shows each change', async () => {
    const { clock, http, registry } = app();
    const states: Array<Readonly<Record<string, State>>> = [];
    registry.states$.subscribe((s) => states.push(s));
    await trip(http, a);
    clock.advance(29_999);
    expect((await httpErrorOf(http.get(`${a.origin}/ok`))).error).toBeInstanceOf(
      CallNotPermittedError,
    );
    clock.advance(1);
    const seen = a.paths.length;
    await expect(firstValueFrom(http.get(`${a.origin}/ok`))).resolves.toEqual({ ok: true });
    expect(a.paths.length).toBe(seen + 1);
    expect(registry.get(a.origin).state).toBe('closed');
    expect(states).toEqual([
      {},
      { [a.origin]: 'closed' },
      { [a.origin]: 'open' },
      { [a.origin]: 'half_open' },
      { [a.origin]: 'closed' },
    ]);
  });

  test('failed probes open the breaker again', async () => {
    const { clock, http, registry } = app();
    await trip(http, a);
    clock.advance(30_000);
    // Entering half_open restarts the streak: the second failed probe reopens it.
    expect((await httpErrorOf(http.get(`${a.origin}/down`))).error).toEqual({ error: 'down' });
    expect(registry.get(a.origin).state).toBe('half_open');
    expect((await httpErrorOf(http.get(`${a.origin}/down`))).error).toEqual({ error: 'down' });
    expect(registry.get(a.origin).state).toBe('open');
    expect(registry.get(a.origin).info().reopens).toBe(1);
  });

  test('a request unsubscribed after it was sent but before the response is a cancelled call', async () => {
    const { http, registry } = app();
    const breaker = registry.get(a.origin);
    const events: BreakerEvent[] = [];
    breaker.events$.subscribe((e) => events.push(e));
    const seen: HttpEvent<unknown>[] = [];
    const arrived = a.nextRequest('/hang');
    const subscription = http
      .get(`${a.origin}/hang`, { observe: 'events', reportProgress: true })
      .subscribe((e) => seen.push(e));
    await arrived;
    // HttpClient has emitted HttpSentEvent: a value, but not the call's result.
    expect(seen.map((e) => e.type)).toEqual([HttpEventType.Sent]);
    subscription.unsubscribe();
    expect(events.map((e) => e.type)).toEqual(['cancelled']);
    expect(breaker.info().metrics.totalCount).toBe(0);
  });

  test('a cancelled probe frees its half-open slot', async () => {
    const { clock, http, registry } = app({ defaults: { maxHalfOpenCalls: 1 } });
    await trip(http, a);
    clock.advance(30_000);
    const arrived = a.nextRequest('/hang');
    const probe = http.get(`${a.origin}/hang`).subscribe();
    await arrived;
    expect(registry.get(a.origin).state).toBe('half_open');
    // The only slot is taken: another request is refused without a Retry-After.
    const refused = await httpErrorOf(http.get(`${a.origin}/ok`));
    expect((refused.error as CallNotPermittedError).state).toBe('half_open');
    expect(refused.headers.has('Retry-After')).toBe(false);
    probe.unsubscribe();
    await expect(firstValueFrom(http.get(`${a.origin}/ok`))).resolves.toEqual({ ok: true });
    expect(registry.get(a.origin).state).toBe('closed');
  });

  test("rejectWith: 'error' refuses with the bare CallNotPermittedError", async () => {
    const { http } = app({ rejectWith: 'error' });
    await trip(http, a);
    const error = await errorOf(http.get(`${a.origin}/ok`));
    expect(error).toBeInstanceOf(CallNotPermittedError);
    expect((error as CallNotPermittedError).retryAfter).toBe(30_000);
  });

  test('key(request) names the breaker, and false sends the request without one', async () => {
    const { http, registry } = app({
      key: (request) => (request.url.endsWith('/ok') ? false : `api:${new URL(request.url).port}`),
    });
    await trip(http, a);
    const name = `api:${new URL(a.origin).port}`;
    expect(registry.names()).toEqual([name]);
    expect(registry.get(name).state).toBe('open');
    await expect(firstValueFrom(http.get(`${a.origin}/ok`))).resolves.toEqual({ ok: true });
    expect((await httpErrorOf(http.get(`${a.origin}/missing`))).status).toBe(503);
  });
});

describe('circuitBreakerInterceptor(options)', () => {
  test('its own options replace those given to provideCircuitBreakers', async () => {
    const injector = rootInjector([
      provideCircuitBreakers({
        defaults: { tripper: trippers.failureStreak(1) },
        key: () => 'from-provider',
      }),
      provideHttpClient(
        withFetch(),
        withInterceptors([circuitBreakerInterceptor({ rejectWith: 'error' })]),
      ),
    ]);
    injectors.push(injector);
    const http = injector.get(HttpClient);
    await httpErrorOf(http.get(`${a.origin}/down`));
    expect(injector.get(BreakerRegistry).names()).toEqual(['from-provider']);
    expect(await errorOf(http.get(`${a.origin}/ok`))).toBeInstanceOf(CallNotPermittedError);
  });

  test('without provideCircuitBreakers a request errors and says what to add', async () => {
    const injector = rootInjector([
      provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
    ]);
    injectors.push(injector);
    const seen = a.paths.length;
    const error = await errorOf(injector.get(HttpClient).get(`${a.origin}/ok`));
    expect(String(error)).toMatch(/no BreakerRegistry.*provideCircuitBreakers\(\)/);
    expect(a.paths.length).toBe(seen);
  });

  test('the class interceptor without provideCircuitBreakers errors the same way', async () => {
    const injector = rootInjector([
      provideHttpClient(withFetch(), withInterceptorsFromDi()),
      { provide: HTTP_INTERCEPTORS, useClass: CircuitBreakerInterceptor, multi: true },
    ]);
    injectors.push(injector);
    const error = await errorOf(injector.get(HttpClient).get(`${a.origin}/ok`));
    expect(String(error)).toMatch(/no BreakerRegistry.*provideCircuitBreakers\(\)/);
  });

  test('each environment injector has its own registry', () => {
    const make = () => {
      const injector = rootInjector([provideCircuitBreakers()]);
      injectors.push(injector);
      return injector.get(BreakerRegistry);
    };
    const first = make();
    expect(first).toBeInstanceOf(BreakerRegistry);
    expect(make()).not.toBe(first);
    expect(first.get('x').name).toBe('x');
  });
});

describe('refusals without a known wait have no Retry-After', () => {
  function app(defaults: CircuitBreakersOptions['defaults']) {
    const clock = new ManualClock(1_000);
    const injector = rootInjector([
      provideCircuitBreakers({
        defaults: { tripper: trippers.failureStreak(1), scheduler: clock, ...defaults },
      }),
      provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
    ]);
    injectors.push(injector);
    return { clock, http: injector.get(HttpClient), registry: injector.get(BreakerRegistry) };
  }

  test('open with retries.never()', async () => {
    const { clock, http, registry } = app({ retry: retries.never() });
    await httpErrorOf(http.get(`${a.origin}/down`));
    clock.advance(3_600_000);
    const refused = await httpErrorOf(http.get(`${a.origin}/ok`));
    expect((refused.error as CallNotPermittedError).state).toBe('open');
    expect(refused.headers.has('Retry-After')).toBe(false);
    expect(registry.get(a.origin).state).toBe('open');
  });

  test('half_open when the permit turns the request away', async () => {
    const { clock, http } = app({ retry: retries.cooldown(10_000), permit: permits.random(0) });
    await httpErrorOf(http.get(`${a.origin}/down`));
    clock.advance(10_000);
    const seen = a.paths.length;
    const refused = await httpErrorOf(http.get(`${a.origin}/ok`));
    expect((refused.error as CallNotPermittedError).state).toBe('half_open');
    expect(refused.headers.has('Retry-After')).toBe(false);
    expect(a.paths.length).toBe(seen);
  });
});
