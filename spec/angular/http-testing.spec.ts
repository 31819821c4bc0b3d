import {
  HttpClient,
  HttpErrorResponse,
  HttpEventType,
  provideHttpClient,
  withInterceptors,
} from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { EnvironmentInjector } from '@angular/core';
import {
  BreakerRegistry,
  CallNotPermittedError,
  retries,
  trippers,
  type BreakerEvent,
} from 'rxjs-fluxgate';
import { circuitBreakerInterceptor, provideCircuitBreakers } from '../../src/angular';
import { ManualClock } from '../helpers/clock';
import { rootInjector } from './helpers/injector';

// On top of the loopback-server tests: HttpTestingController lets a test emit the exact event
// sequence (progress events before the response) that a real server cannot pin down.

const URL = 'https://api.example.com/users';
let injector: EnvironmentInjector;
let http: HttpClient;
let backend: HttpTestingController;
let registry: BreakerRegistry;
let events: BreakerEvent[];

beforeEach(() => {
  injector = rootInjector([
    provideCircuitBreakers({
      defaults: {
        tripper: trippers.failureStreak(2),
        retry: retries.cooldown(5_000),
        scheduler: new ManualClock(),
      },
    }),
    provideHttpClient(withInterceptors([circuitBreakerInterceptor()])),
    provideHttpClientTesting(),
  ]);
  http = injector.get(HttpClient);
  backend = injector.get(HttpTestingController);
  registry = injector.get(BreakerRegistry);
  events = [];
  registry.get('https://api.example.com').events$.subscribe((e) => events.push(e));
});

afterEach(() => {
  backend.verify();
  injector.destroy();
});

test('a response is a success; two 503s open the breaker and the next request never leaves', () => {
  const results: unknown[] = [];
  http.get(URL).subscribe((body) => results.push(body));
  backend.expectOne(URL).flush([{ id: 1 }]);
  for (let i = 0; i < 2; i++) {
    http.get(URL).subscribe({ error: (e: unknown) => results.push(e) });
    backend.expectOne(URL).flush('down', { status: 503, statusText: 'Service Unavailable' });
  }
  http.get(URL).subscribe({ error: (e: unknown) => results.push(e) });
  backend.expectNone(URL);

  expect(events.map((e) => e.type)).toEqual(['success', 'failure', 'failure', 'rejected']);
  expect(results[0]).toEqual([{ id: 1 }]);
  const refusal = results[3] as HttpErrorResponse;
  expect(refusal.error).toBeInstanceOf(CallNotPermittedError);
  expect(refusal.headers.get('Retry-After')).toBe('5');
});

test('a request cancelled after progress events, before the response, is cancelled, not a success', () => {
  const seen: HttpEventType[] = [];
  const subscription = http
    .get(URL, { observe: 'events', reportProgress: true })
    .subscribe((e) => seen.push(e.type));
  const request = backend.expectOne(URL);
  request.event({ type: HttpEventType.DownloadProgress, loaded: 10, total: 100 });
  subscription.unsubscribe();

  expect(request.cancelled).toBe(true);
  expect(seen).toEqual([HttpEventType.Sent, HttpEventType.DownloadProgress]);
  expect(events.map((e) => e.type)).toEqual(['cancelled']);
  expect(registry.get('https://api.example.com').info().metrics.totalCount).toBe(0);
});

test('a network error (status 0) counts; a 401 does not', () => {
  http.get(URL).subscribe({ error: () => undefined });
  // Node has no ProgressEvent; XHR's error event is a plain Event there.
  backend.expectOne(URL).error(new Event('error') as ProgressEvent);
  http.get(URL).subscribe({ error: () => undefined });
  backend.expectOne(URL).flush(null, { status: 401, statusText: 'Unauthorized' });
  expect(events.map((e) => e.type)).toEqual(['failure', 'ignored']);
});
