import {
  HttpClient,
  HttpErrorResponse,
  HttpHeaders,
  provideHttpClient,
  withFetch,
  withInterceptors,
} from '@angular/common/http';
import type { EnvironmentInjector } from '@angular/core';
import { firstValueFrom, type Observable } from 'rxjs';
import { BreakerRegistry, CallNotPermittedError, trippers, type Transition } from 'rxjs-fluxgate';
import {
  circuitBreakerInterceptor,
  httpFailures,
  provideCircuitBreakers,
  type CircuitBreakerInterceptorOptions,
  type CircuitBreakersOptions,
} from '../../src/angular';
import { MAX_RETRY_AFTER, retryAfterOf, serverWait } from '../../src/angular/retry-after';
import { ManualClock } from '../helpers/clock';
import { rootInjector } from './helpers/injector';
import { startScriptedServer, type ScriptedServer } from './helpers/scripted-server';

// honorRetryAfter through the real HttpClient (withFetch) and a server on 127.0.0.1 that sends
// Retry-After in both forms. Breakers have the browser defaults (they open at the 5th failure and
// wait 5 s first), time comes from a clock the test moves, and the jitter draw is fixed at none.

let server: ScriptedServer;
const injectors: EnvironmentInjector[] = [];

beforeAll(async () => {
  server = await startScriptedServer();
});

afterEach(() => {
  server.release();
  for (const injector of injectors.splice(0)) injector.destroy();
});

afterAll(async () => {
  await server.close();
});

function app(
  options: CircuitBreakersOptions = { honorRetryAfter: true },
  own?: CircuitBreakerInterceptorOptions,
) {
  const clock = new ManualClock(1_000);
  const injector = rootInjector([
    provideCircuitBreakers({
      ...options,
      defaults: { scheduler: clock, random: () => 0.5, ...options.defaults },
    }),
    provideHttpClient(withFetch(), withInterceptors([circuitBreakerInterceptor(own)])),
  ]);
  injectors.push(injector);
  const registry = injector.get(BreakerRegistry);
  const transitions: Transition[] = [];
  registry.transitions$.subscribe((t) => transitions.push(t));
  return {
    clock,
    http: injector.get(HttpClient),
    registry,
    breaker: registry.get(server.url),
    transitions,
  };
}

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

/** A request the server answers with `status` and `headers`; returns the server's error. */
async function answered(
  http: HttpClient,
  status: number,
  headers: Record<string, string> = {},
  noDate = false,
): Promise<HttpErrorResponse> {
  server.answer({ status, headers, noDate });
  const seen = server.count();
  const error = await httpErrorOf(http.get(`${server.url}/api`));
  expect(server.count()).toBe(seen + 1);
  expect(error.status).toBe(status);
  expect(error.error).toEqual({ status });
  return error;
}

/** A request the breaker refuses; returns its Retry-After header (null when none). */
async function refusedRetryAfter(http: HttpClient): Promise<string | null> {
  const seen = server.count();
  const refusal = await httpErrorOf(http.get(`${server.url}/api`));
  expect(refusal.error).toBeInstanceOf(CallNotPermittedError);
  expect(server.count()).toBe(seen);
  return refusal.headers.get('Retry-After');
}

/** A request that reaches the server (answered 200). */
async function reaches(http: HttpClient): Promise<void> {
  server.answer({ status: 200 });
  const seen = server.count();
  await firstValueFrom(http.get(`${server.url}/api`));
  expect(server.count()).toBe(seen + 1);
}

const utc = (ms: number) => new Date(ms).toUTCString();
/** A server clock years away from the machine's, so only the Date header can explain a result. */
const SERVER_NOW = Date.UTC(2031, 4, 6, 12, 0, 0);

describe('honorRetryAfter: true', () => {
  test('a 503 with Retry-After in seconds opens a closed breaker at once for exactly that long', async () => {
    const { clock, http, breaker, transitions } = app();
    await answered(http, 503, { 'Retry-After': '120' });
    expect(breaker.state).toBe('open');
    expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open']);
    expect(await refusedRetryAfter(http)).toBe('120');
    clock.advance(119_999);
    expect(await refusedRetryAfter(http)).toBe('1');
    clock.advance(1);
    // Then it probes as usual, and a later opening uses the retry policy again (5 s, then 10 s).
    await answered(http, 500);
    expect(breaker.state).toBe('open');
    expect(await refusedRetryAfter(http)).toBe('10');
  });

  test("a 429 with an HTTP date is read against the response's Date header, not the machine's clock", async () => {
    const { clock, http, breaker } = app();
    await answered(http, 429, { Date: utc(SERVER_NOW), 'Retry-After': utc(SERVER_NOW + 90_000) });
    expect(breaker.state).toBe('open');
    expect(await refusedRetryAfter(http)).toBe('90');
    clock.advance(89_999);
    await refusedRetryAfter(http);
    clock.advance(1);
    await reaches(http);
    expect(breaker.state).toBe('closed');
  });

  test.each([
    ['delta-seconds of a day', { 'Retry-After': '86400' }, false],
    [
      'a date in a year, with a Date header',
      { Date: utc(SERVER_NOW), 'Retry-After': utc(SERVER_NOW + 31_536_000_000) },
      false,
    ],
    [
      'a date in an hour, without a Date header (wall clock)',
      { 'Retry-After': utc(Date.now() + 3_600_000) },
      true,
    ],
    ['more seconds than a number holds', { 'Retry-After': '9'.repeat(400) }, false],
  ])('the wait is capped at 5 minutes: %s', async (_name, headers, noDate) => {
    const { clock, http } = app();
    await answered(http, 503, headers, noDate);
    expect(await refusedRetryAfter(http)).toBe('300');
    clock.advance(300_000);
    await reaches(http);
  });

  test.each([
    ['zero', { 'Retry-After': '0' }],
    [
      'a date before the Date header',
      { Date: utc(SERVER_NOW), 'Retry-After': utc(SERVER_NOW - 1_000) },
    ],
    ['the same date as the Date header', { Date: utc(SERVER_NOW), 'Retry-After': utc(SERVER_NOW) }],
    [
      'a date in the past, without a Date header',
      { 'Retry-After': 'Sun, 06 Nov 1994 08:49:37 GMT' },
    ],
    ['a fraction', { 'Retry-After': '1.5' }],
    ['a negative number', { 'Retry-After': '-30' }],
    ['words', { 'Retry-After': 'in a minute' }],
    ['two values', { 'Retry-After': '120, 60' }],
    ['an ISO date', { 'Retry-After': '2099-01-01T00:00:00Z' }],
    ['an empty value', { 'Retry-After': '' }],
  ])('is ignored for %s: the breaker behaves as without the option', async (name, headers) => {
    const noDate = name.includes('without a Date header');
    const { http, breaker } = app();
    for (let i = 0; i < 4; i++) await answered(http, 503, headers, noDate);
    expect(breaker.state).toBe('closed');
    await answered(http, 503, headers, noDate);
    expect(breaker.state).toBe('open');
    expect(await refusedRetryAfter(http)).toBe('5');
  });

  test('a failure that trips the breaker and says Retry-After makes one transition, with the server wait', async () => {
    const { http, breaker, transitions } = app();
    for (let i = 0; i < 4; i++) await answered(http, 503);
    await answered(http, 503, { 'Retry-After': '75' });
    expect(breaker.state).toBe('open');
    expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open']);
    expect(await refusedRetryAfter(http)).toBe('75');
  });

  test('a failed trial that says Retry-After opens for the server wait, not the backoff', async () => {
    const { clock, http, breaker } = app();
    for (let i = 0; i < 5; i++) await answered(http, 503);
    clock.advance(5_000);
    await answered(http, 503, { 'Retry-After': '45' });
    expect(breaker.state).toBe('open');
    expect(breaker.info().reopens).toBe(1);
    expect(await refusedRetryAfter(http)).toBe('45');
  });

  test('a late answer to a call admitted before the breaker opened restarts the wait', async () => {
    const { clock, http, breaker } = app();
    server.answer({ status: 503, headers: { 'Retry-After': '60' }, hold: true });
    const arrived = server.received(server.count() + 1);
    const late = httpErrorOf(http.get(`${server.url}/api`));
    await arrived;
    breaker.openFor(10_000);
    clock.advance(2_000);
    server.release();
    expect((await late).status).toBe(503);
    expect(breaker.state).toBe('open');
    expect(await refusedRetryAfter(http)).toBe('60');
  });

  test.each([
    ['metrics_only', (b: { metricsOnly(): void }) => b.metricsOnly()],
    ['forced_open', (b: { forceOpen(): void }) => b.forceOpen()],
  ] as const)(
    'leaves a breaker in %s alone, even for an answer that arrives after the command',
    async (state, command) => {
      const { http, breaker } = app();
      server.answer({ status: 503, headers: { 'Retry-After': '60' }, hold: true });
      const arrived = server.received(server.count() + 1);
      const late = httpErrorOf(http.get(`${server.url}/api`));
      await arrived;
      command(breaker);
      server.release();
      expect((await late).status).toBe(503);
      expect(breaker.state).toBe(state);
    },
  );

  test('only a tracked 429 or 503 counts: other statuses, and errors the tracker ignores, do not', async () => {
    const { http, registry } = app({
      honorRetryAfter: true,
      defaults: { tracker: httpFailures([500, 503]) },
    });
    const breaker = registry.get(server.url);
    await answered(http, 500, { 'Retry-After': '120' });
    await answered(http, 502, { 'Retry-After': '120' });
    await answered(http, 429, { 'Retry-After': '120' }); // not tracked by this tracker
    expect(breaker.state).toBe('closed');
    expect(breaker.info().metrics.failureCount).toBe(1);
    await answered(http, 503, { 'Retry-After': '120' });
    expect(breaker.state).toBe('open');
  });

  test('a refusal is never fed back: refusals while open leave the server wait as it was', async () => {
    const { clock, http } = app();
    await answered(http, 503, { 'Retry-After': '120' });
    clock.advance(60_500);
    expect(await refusedRetryAfter(http)).toBe('60'); // 59.5 s, rounded up
    clock.advance(59_500);
    await reaches(http);
  });

  test("another breaker's refusal (a 503 with Retry-After, from an inner interceptor) does not open this one", async () => {
    const clock = new ManualClock(1_000);
    const injector = rootInjector([
      provideCircuitBreakers({
        defaults: { scheduler: clock, random: () => 0.5 },
        configs: { inner: { tripper: trippers.failureStreak(1) } },
      }),
      provideHttpClient(
        withFetch(),
        withInterceptors([
          circuitBreakerInterceptor({ key: () => 'outer', honorRetryAfter: true }),
          circuitBreakerInterceptor({ key: () => 'inner' }),
        ]),
      ),
    ]);
    injectors.push(injector);
    const http = injector.get(HttpClient);
    const registry = injector.get(BreakerRegistry);
    await answered(http, 503);
    expect(registry.get('inner').state).toBe('open');
    const refusal = await httpErrorOf(http.get(`${server.url}/api`));
    expect(refusal.error).toBeInstanceOf(CallNotPermittedError);
    expect(refusal.headers.get('Retry-After')).toBe('5');
    // The outer breaker recorded the refusal as a failure (httpFailures counts any 503) but did
    // not take its Retry-After for a server's.
    expect(registry.get('outer').info().metrics.failureCount).toBe(2);
    expect(registry.get('outer').state).toBe('closed');
  });

  test("with rejectWith: 'error' the refusal carries retryAfter, the server's wait", async () => {
    const { http } = app({ honorRetryAfter: true, rejectWith: 'error' });
    await answered(http, 503, { 'Retry-After': '7' });
    const error = await firstValueFrom(http.get(`${server.url}/api`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallNotPermittedError);
    expect((error as CallNotPermittedError).retryAfter).toBe(7_000);
  });
});

describe('honorRetryAfter off', () => {
  test('is the default: a 503 with Retry-After is one failure like any other', async () => {
    const { http, breaker } = app({});
    await answered(http, 503, { 'Retry-After': '120' });
    expect(breaker.state).toBe('closed');
  });

  test("the interceptor's own option replaces the provider's, both ways", async () => {
    const on = app({}, { honorRetryAfter: true });
    await answered(on.http, 503, { 'Retry-After': '120' });
    expect(on.breaker.state).toBe('open');
    const off = app({ honorRetryAfter: true }, { honorRetryAfter: false });
    await answered(off.http, 503, { 'Retry-After': '120' });
    expect(off.breaker.state).toBe('closed');
  });

  test('a value other than a boolean is an error naming the option and the value', () => {
    expect(() => provideCircuitBreakers({ honorRetryAfter: 'yes' as never })).toThrow(
      new TypeError(
        'provideCircuitBreakers(options).honorRetryAfter: expected true or false, got "yes"',
      ),
    );
    expect(() => circuitBreakerInterceptor({ honorRetryAfter: 1 as never })).toThrow(
      new TypeError(
        'circuitBreakerInterceptor(options).honorRetryAfter: expected true or false, got 1',
      ),
    );
  });
});

describe('retryAfterOf(response)', () => {
  const at = Date.UTC(1994, 10, 6, 8, 49, 0); // 37 s before the dates below
  const of = (headers: Record<string, string>) =>
    retryAfterOf(
      new HttpErrorResponse({ status: 503, headers: new HttpHeaders(headers) }),
      () => at,
    );

  // (The asctime form names no zone and is read as GMT; on a machine in UTC, as CI's, reading it
  // as local time would pass too.)
  test('reads the three HTTP date forms', () => {
    expect(of({ 'Retry-After': 'Sun, 06 Nov 1994 08:49:37 GMT' })).toBe(37_000);
    expect(of({ 'Retry-After': 'Sunday, 06-Nov-94 08:49:37 GMT' })).toBe(37_000);
    expect(of({ 'Retry-After': 'Sun Nov  6 08:49:37 1994' })).toBe(37_000);
  });

  test('reads delta-seconds, with surrounding spaces', () => {
    expect(of({ 'Retry-After': ' 42 ' })).toBe(42_000);
    expect(of({ 'Retry-After': '300' })).toBe(MAX_RETRY_AFTER);
    expect(of({ 'Retry-After': '301' })).toBe(MAX_RETRY_AFTER);
  });

  test('falls back to the wall clock when the Date header is not a valid date', () => {
    expect(of({ Date: 'yesterday', 'Retry-After': 'Sun, 06 Nov 1994 08:49:37 GMT' })).toBe(37_000);
  });

  test('rejects dates in another zone or an unknown shape', () => {
    expect(of({ 'Retry-After': 'Sun, 06 Nov 1994 08:49:37 +0000' })).toBeUndefined();
    expect(of({ 'Retry-After': 'sun, 06 nov 1994 08:49:37 gmt' })).toBeUndefined();
    expect(of({ 'Retry-After': 'Sun, 36 Nov 1994 08:49:37 GMT' })).toBeUndefined();
    expect(of({})).toBeUndefined();
  });
});

describe('serverWait(error)', () => {
  const response = (status: number, error: unknown = null) =>
    new HttpErrorResponse({ status, error, headers: new HttpHeaders({ 'Retry-After': '30' }) });

  test("is the header's wait for a 429 or 503 only", () => {
    expect([429, 503, 500, 502, 0].map((status) => serverWait(response(status)))).toEqual([
      30_000,
      30_000,
      undefined,
      undefined,
      undefined,
    ]);
    expect(serverWait(new Error('503'))).toBeUndefined();
  });

  test("is undefined for a breaker's refusal, even one from another copy of the package", () => {
    expect(serverWait(response(503, new CallNotPermittedError('api', 'open', 30_000)))).toBe(
      undefined,
    );
    class CopyOfTheError extends Error {
      override readonly name = 'CallNotPermittedError';
    }
    expect(serverWait(response(503, new CopyOfTheError('refused')))).toBeUndefined();
    expect(serverWait(response(503, new Error('down')))).toBe(30_000);
  });
});
