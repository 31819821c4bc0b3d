import {
  HttpClient,
  HttpErrorResponse,
  provideHttpClient,
  withFetch,
  withInterceptors,
} from '@angular/common/http';
import type { EnvironmentInjector } from '@angular/core';
import { firstValueFrom, type Observable } from 'rxjs';
import {
  BreakerRegistry,
  CallNotPermittedError,
  retries,
  trippers,
  type CircuitBreakerConfig,
  type State,
} from 'rxjs-fluxgate';
import {
  browserDefaults,
  circuitBreakerInterceptor,
  httpFailures,
  provideCircuitBreakers,
  type CircuitBreakersOptions,
} from '../../src/angular';
import { ManualClock } from '../helpers/clock';
import { rootInjector } from './helpers/injector';
import { startScriptedServer, type ScriptedServer } from './helpers/scripted-server';

// The policy provideCircuitBreakers gives when the app sets nothing, driven through the real
// HttpClient (withFetch) against servers on 127.0.0.1. Only time (a clock the test moves) and
// randomness (a fixed draw, so the ±20% jitter is known) are injected; every other field is the
// browser default under test.

let server: ScriptedServer;
let other: ScriptedServer;
const injectors: EnvironmentInjector[] = [];

beforeAll(async () => {
  [server, other] = await Promise.all([startScriptedServer(), startScriptedServer()]);
});

beforeEach(() => {
  server.answer({ status: 503 });
  other.answer({ status: 503 });
});

afterEach(() => {
  server.release();
  for (const injector of injectors.splice(0)) injector.destroy();
});

afterAll(async () => {
  await Promise.all([server.close(), other.close()]);
});

/** An app with the browser defaults; `random` is the draw for the jitter (0.5: none). */
function app(options: CircuitBreakersOptions = {}, random = 0.5) {
  const clock = new ManualClock(1_000);
  const injector = rootInjector([
    provideCircuitBreakers({
      ...options,
      defaults: { scheduler: clock, random: () => random, ...options.defaults },
    }),
    provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
  ]);
  injectors.push(injector);
  const http = injector.get(HttpClient);
  const registry = injector.get(BreakerRegistry);
  return { clock, http, registry, breaker: registry.get(server.url) };
}

/** Settles `request` and returns its error, which must be an `HttpErrorResponse`. */
async function httpErrorOf(request: Observable<unknown>): Promise<HttpErrorResponse> {
  const error = await firstValueFrom(request).then(
    (value) => {
      throw new Error(`expected an error, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpErrorResponse);
  return error as HttpErrorResponse;
}

/** Sends one request that the server answers with a failure; checks it reached the server. */
async function fail(http: HttpClient, to: ScriptedServer = server): Promise<void> {
  const seen = to.count();
  expect((await httpErrorOf(http.get(`${to.url}/api`))).status).toBe(503);
  expect(to.count()).toBe(seen + 1);
}

/** Sends one request that the breaker must refuse; returns the refusal. */
async function refused(http: HttpClient, to: ScriptedServer = server) {
  const seen = to.count();
  const response = await httpErrorOf(http.get(`${to.url}/api`));
  expect(response.error).toBeInstanceOf(CallNotPermittedError);
  expect(to.count()).toBe(seen);
  return { response, error: response.error as CallNotPermittedError };
}

test('a backend down from the start opens its breaker at the 5th failure; then nothing reaches it', async () => {
  const { http, breaker } = app();
  for (let i = 0; i < 4; i++) {
    await fail(http);
    expect(breaker.state).toBe('closed');
  }
  await fail(http);
  expect(breaker.state).toBe('open');
  const { response, error } = await refused(http);
  expect(error.state).toBe('open');
  expect(response.headers.get('Retry-After')).toBe('5');
});

test('failures count within 30 s: older ones drop out of the window', async () => {
  const { clock, http, breaker } = app();
  for (let i = 0; i < 4; i++) await fail(http);
  clock.advance(30_000);
  for (let i = 0; i < 4; i++) await fail(http);
  expect(breaker.state).toBe('closed');
  expect(breaker.info().metrics).toMatchObject({ totalCount: 4, failureCount: 4 });
  await fail(http);
  expect(breaker.state).toBe('open');
});

test('an origin that mostly answers stays closed: it opens when half the recorded calls failed', async () => {
  const { http, breaker } = app();
  server.answer({ status: 200 });
  for (let i = 0; i < 6; i++) await firstValueFrom(http.get(`${server.url}/api`));
  server.answer({ status: 503 });
  for (let i = 0; i < 5; i++) await fail(http); // 5 of 11
  expect(breaker.state).toBe('closed');
  await fail(http); // 6 of 12
  expect(breaker.state).toBe('open');
});

test('after the wait the first request is the trial: it reaches a recovered backend at once and closes the breaker', async () => {
  const { clock, http, breaker } = app();
  for (let i = 0; i < 5; i++) await fail(http);
  server.answer({ status: 200 });
  clock.advance(4_999);
  expect((await refused(http)).response.headers.get('Retry-After')).toBe('1');
  clock.advance(1);
  const seen = server.count();
  await expect(firstValueFrom(http.get(`${server.url}/api`))).resolves.toEqual({ status: 200 });
  expect(server.count()).toBe(seen + 1);
  expect(breaker.state).toBe('closed');
  expect(breaker.info().reopens).toBe(0);
});

test.each([
  [0, 4_000],
  [0.875, 5_750],
])('the wait is jittered by ±20%%: draw %p waits %p ms', async (random, wait) => {
  const { clock, http, breaker } = app({}, random);
  for (let i = 0; i < 5; i++) await fail(http);
  clock.advance(wait - 1);
  await refused(http);
  clock.advance(1);
  server.answer({ status: 200 });
  await firstValueFrom(http.get(`${server.url}/api`));
  expect(breaker.state).toBe('closed');
});

test('a failed trial reopens at once, and the wait backs off from 5 s to at most 60 s', async () => {
  const { clock, http, breaker } = app();
  for (let i = 0; i < 5; i++) await fail(http);
  const waits = [5_000, 10_000, 20_000, 40_000, 60_000, 60_000];
  for (const [reopens, wait] of waits.entries()) {
    expect(breaker.info().reopens).toBe(reopens);
    clock.advance(wait - 1);
    expect((await refused(http)).error.state).toBe('open');
    clock.advance(1);
    await fail(http);
    expect(breaker.state).toBe('open');
    const next = waits[reopens + 1] ?? 60_000;
    expect((await refused(http)).response.headers.get('Retry-After')).toBe(String(next / 1000));
  }
});

test('one trial in flight: other requests are refused in half_open without Retry-After; a trial that hangs is given up after 30 s', async () => {
  const { clock, http, registry, breaker } = app();
  const states: Array<Readonly<Record<string, State>>> = [];
  registry.states$.subscribe((s) => states.push(s));
  for (let i = 0; i < 5; i++) await fail(http);
  clock.advance(5_000);
  server.answer({ hold: true, status: 200 });
  const arrived = server.received(server.count() + 1);
  const trial = http.get(`${server.url}/api`).subscribe({ error: () => undefined });
  await arrived;
  expect(states.at(-1)).toEqual({ [server.url]: 'half_open' });

  const { response, error } = await refused(http);
  expect(error.state).toBe('half_open');
  expect(error.retryAfter).toBeUndefined();
  expect(response.headers.has('Retry-After')).toBe(false);

  clock.advance(29_999);
  expect((await refused(http)).error.state).toBe('half_open');
  clock.advance(1);
  // The next request finds the trial hung for 30 s: the breaker reopens, with a longer wait.
  const reopened = await refused(http);
  expect(reopened.error.state).toBe('open');
  expect(reopened.response.headers.get('Retry-After')).toBe('10');
  expect(breaker.info().reopens).toBe(1);
  trial.unsubscribe();
});

test('defaults and configs replace the browser defaults field by field; a field left undefined keeps them', async () => {
  const { http, registry } = app({
    defaults: { retry: retries.cooldown(1_000), tripper: undefined },
    configs: { [other.url]: { tripper: trippers.failureStreak(1), permit: undefined } },
  });
  for (let i = 0; i < 5; i++) await fail(http);
  expect(registry.get(server.url).state).toBe('open');
  expect((await refused(http)).response.headers.get('Retry-After')).toBe('1');

  await fail(http, other);
  expect(registry.get(other.url).state).toBe('open');
  expect((await refused(http, other)).response.headers.get('Retry-After')).toBe('1');
});

test("a registry passed in keeps the core's defaults unless it is given browserDefaults()", async () => {
  const clock = new ManualClock(1_000);
  const make = (defaults: CircuitBreakerConfig) => {
    const registry = new BreakerRegistry({ defaults: { ...defaults, scheduler: clock } });
    const injector = rootInjector([
      provideCircuitBreakers({ registry }),
      provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor()])),
    ]);
    injectors.push(injector);
    return { http: injector.get(HttpClient), breaker: registry.get(server.url) };
  };
  const core = make({ tracker: httpFailures() });
  for (let i = 0; i < 10; i++) await fail(core.http);
  expect(core.breaker.state).toBe('closed');

  const browser = make(browserDefaults());
  for (let i = 0; i < 5; i++) await fail(browser.http);
  expect(browser.breaker.state).toBe('open');
});

test('browserDefaults() gives a new object each time, so changing one changes no app', () => {
  const first = browserDefaults() as { maxHalfOpenCalls: number };
  first.maxHalfOpenCalls = 99;
  expect(browserDefaults().maxHalfOpenCalls).toBe(1);
  expect(Object.keys(browserDefaults()).sort()).toEqual([
    'maxHalfOpenCalls',
    'maxHalfOpenDuration',
    'permit',
    'retry',
    'tracker',
    'tripper',
    'window',
  ]);
});
