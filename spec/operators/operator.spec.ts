/**
 * The operator in RxJS terms: marble tests in virtual time, flattening operators, retry placement.
 */
import {
  Observable,
  concatMap,
  defer,
  exhaustMap,
  filter,
  mergeMap,
  of,
  range,
  retry,
  switchMap,
  take,
  takeUntil,
  tap,
  throwError,
  type ObservableInput,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  CallNotPermittedError,
  CircuitBreaker,
  circuitBreaker,
  isCircuitBreaker,
  permits,
  retries,
  trippers,
  type BreakerEvent,
} from '../../src';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function eventsOf(breaker: CircuitBreaker): BreakerEvent['type'][] {
  const types: BreakerEvent['type'][] = [];
  breaker.events$.subscribe((e) => types.push(e.type));
  return types;
}

describe('circuitBreaker operator', () => {
  test('passes values, errors and completion through unchanged and adds no scheduling', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const breaker = new CircuitBreaker();
      const ok = cold('--a--b--|');
      const bad = cold('--a--#', undefined, new Error('x'));
      expectObservable(ok.pipe(circuitBreaker(breaker))).toBe('--a--b--|');
      expectSubscriptions(ok.subscriptions).toBe('^-------!');
      expectObservable(bad.pipe(circuitBreaker(breaker))).toBe('--a--#', undefined, new Error('x'));
    });
  });

  test('measures durations in TestScheduler time and opens after the failures', () => {
    const scheduler = testScheduler();
    const events: BreakerEvent[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const breaker = new CircuitBreaker({
        name: 'marbles',
        scheduler,
        tripper: trippers.failureStreak(2),
        retry: retries.cooldown(100),
        permit: permits.all(),
      });
      breaker.events$.subscribe((e) => events.push(e));
      const failing = cold('---#');
      const protectedCall = defer(() => failing).pipe(circuitBreaker(breaker));
      const calls = cold('a 9ms b 9ms c 99ms d').pipe(
        concatMap(() =>
          protectedCall.pipe(
            // Turn each outcome into a letter to keep the marble readable.
            (s) =>
              new Observable<string>((o) =>
                s.subscribe({
                  error: (e: unknown) => {
                    o.next(e instanceof CallNotPermittedError ? 'r' : 'f');
                    o.complete();
                  },
                  complete: () => o.complete(),
                }),
              ),
          ),
        ),
      );
      expectObservable(calls).toBe('---f 9ms f 6ms r 99ms ---f');
    });
    // Each failure took 3 frames; the probe at frame 120 failed and reopened the breaker.
    expect(
      events.map((e) => (e.type === 'failure' ? `f${e.duration}@${e.at}` : `${e.type}@${e.at}`)),
    ).toEqual(['f3@3', 'f3@13', 'rejected@20', 'f3@123']);
  });

  test('inside mergeMap each inner subscription is a call', () => {
    const breaker = new CircuitBreaker();
    const events = eventsOf(breaker);
    of(1, 2, 3)
      .pipe(mergeMap((n) => of(n * 10).pipe(circuitBreaker(breaker))))
      .subscribe();
    expect(events).toEqual(['success', 'success', 'success']);
    expect(breaker.info().metrics.totalCount).toBe(3);
  });

  test('switchMap superseding an inner is a cancellation', () => {
    const breaker = new CircuitBreaker();
    const events = eventsOf(breaker);
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const typed = hot('a-b---------c');
      const request = () => cold('-----r|').pipe(circuitBreaker(breaker));
      expectObservable(typed.pipe(switchMap(request))).toBe('-------r 9ms r');
    });
    expect(events).toEqual(['cancelled', 'success', 'success']);
  });

  test('exhaustMap: an outer value dropped while busy makes no call at all', () => {
    const breaker = new CircuitBreaker();
    const events = eventsOf(breaker);
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const clicks = hot('a-b-----c');
      const request = () => cold('-----r|').pipe(circuitBreaker(breaker));
      expectObservable(clicks.pipe(exhaustMap(request))).toBe('-----r-------r');
    });
    expect(events).toEqual(['success', 'success']);
  });

  test('retry() before the operator stays one call; after it, one call per attempt', () => {
    let attempts = 0;
    const flaky = defer(() => (++attempts < 3 ? throwError(() => new Error('flaky')) : of('ok')));

    const before = new CircuitBreaker();
    const beforeEvents = eventsOf(before);
    flaky.pipe(retry(2), circuitBreaker(before)).subscribe();
    expect(beforeEvents).toEqual(['success']);

    attempts = 0;
    const after = new CircuitBreaker();
    const afterEvents = eventsOf(after);
    flaky.pipe(circuitBreaker(after), retry(2)).subscribe();
    expect(afterEvents).toEqual(['failure', 'failure', 'success']);
    expect(after.info().metrics).toMatchObject({ totalCount: 3, failureCount: 2 });
  });

  test('a config makes a new breaker owned by the operator and exposed as .breaker', () => {
    const protect = circuitBreaker({ name: 'inventory', tripper: trippers.failureStreak(1) });
    expect(protect.breaker).toBeInstanceOf(CircuitBreaker);
    expect(protect.breaker.name).toBe('inventory');
    throwError(() => new Error())
      .pipe(protect)
      .subscribe({ error: () => undefined });
    // The same operator reused: the failures add up in one breaker.
    let refused: unknown;
    of(1)
      .pipe(protect)
      .subscribe({ error: (e: unknown) => (refused = e) });
    expect(refused).toBeInstanceOf(CallNotPermittedError);
    const shared = new CircuitBreaker();
    expect(circuitBreaker(shared).breaker).toBe(shared);
  });

  test('takes a breaker from a second copy of the package (ESM and CommonJS side by side) as a breaker', () => {
    let Other!: typeof CircuitBreaker;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Other = (require('../../src') as { CircuitBreaker: typeof CircuitBreaker }).CircuitBreaker;
    });
    expect(Other).not.toBe(CircuitBreaker);
    const foreign = new Other({ name: 'foreign' });
    const operator = circuitBreaker(foreign);
    expect(operator.breaker).toBe(foreign);
    of(1).pipe(operator).subscribe();
    expect(foreign.info().metrics.totalCount).toBe(1);
  });

  test('isCircuitBreaker recognises a breaker of either copy, and nothing else', () => {
    let Other!: typeof CircuitBreaker;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Other = (require('../../src') as { CircuitBreaker: typeof CircuitBreaker }).CircuitBreaker;
    });
    expect(isCircuitBreaker(new CircuitBreaker())).toBe(true);
    expect(isCircuitBreaker(new Other())).toBe(true);
    const lookalikes: unknown[] = [
      null,
      undefined,
      0,
      'breaker',
      {},
      { name: 'config', maxHalfOpenCalls: 1 },
      { _acquire: 'not a method' },
      Object.assign(() => undefined, { _acquire: () => 0 }),
    ];
    for (const value of lookalikes) expect(isCircuitBreaker(value)).toBe(false);
  });

  test('protect(source) is from(source).pipe(circuitBreaker(this))', async () => {
    const breaker = new CircuitBreaker();
    const events = eventsOf(breaker);
    const values: number[] = [];
    breaker.protect([1, 2]).subscribe((v) => values.push(v));
    const input: ObservableInput<string> = Promise.resolve('p');
    await new Promise<void>((resolve) => breaker.protect(input).subscribe({ complete: resolve }));
    expect(values).toEqual([1, 2]);
    expect(events).toEqual(['success', 'success']);
  });
});

describe('a consumer that leaves while a synchronous source is still emitting', () => {
  test('take(1) after a value: a success, the source stops, and a later error is neither recorded nor handed to the fallback', () => {
    const breaker = new CircuitBreaker({ tripper: trippers.failureStreak(1) });
    let fallbackCalls = 0;
    let emittedAfter = false;
    const source = new Observable<number>((s) => {
      s.next(1);
      emittedAfter = !s.closed;
      s.error(new Error('after the consumer left'));
    });
    const seen: unknown[] = [];
    source
      .pipe(
        circuitBreaker(breaker, {
          fallback: () => {
            fallbackCalls++;
            return of(0);
          },
        }),
        take(1),
      )
      .subscribe({ next: (v) => seen.push(v), complete: () => seen.push('complete') });
    expect(seen).toEqual([1, 'complete']);
    expect(emittedAfter).toBe(false);
    expect(fallbackCalls).toBe(0);
    expect(breaker.info()).toMatchObject({
      state: 'closed',
      metrics: { totalCount: 1, failureCount: 0 },
    });
  });

  test('a source that ignores closed and keeps notifying changes nothing after the consumer left', () => {
    const breaker = new CircuitBreaker();
    const events = eventsOf(breaker);
    const careless = new Observable<number>((s) => {
      s.next(1);
      s.next(2);
      s.error(new Error('too late'));
      s.complete();
    });
    const seen: unknown[] = [];
    const sub = careless.pipe(circuitBreaker(breaker), take(1)).subscribe({
      next: (v) => seen.push(v),
      error: (e: unknown) => seen.push(e),
      complete: () => seen.push('complete'),
    });
    sub.unsubscribe();
    expect(seen).toEqual([1, 'complete']);
    expect(events).toEqual(['success']);
  });

  test('a never-ending synchronous source is cut short by take(1)', () => {
    const breaker = new CircuitBreaker();
    let produced = 0;
    range(0, Number.MAX_SAFE_INTEGER)
      .pipe(
        tap(() => produced++),
        circuitBreaker(breaker),
        take(1),
      )
      .subscribe();
    expect(produced).toBe(1);
  });

  test('a fallback is not started for a consumer that left during the outcome', () => {
    const breaker = new CircuitBreaker({ tripper: trippers.failureStreak(1) });
    let fallbackStarted = 0;
    const opened$ = breaker.state$.pipe(filter((s) => s === 'open'));
    throwError(() => new Error('down'))
      .pipe(
        circuitBreaker(breaker, { fallback: () => defer(() => (fallbackStarted++, of(0))) }),
        takeUntil(opened$),
      )
      .subscribe();
    expect(breaker.state).toBe('open');
    expect(fallbackStarted).toBe(0);
  });
});

describe('fallback (SPEC 2.7)', () => {
  test('is called for a refusal, a failure and an ignored error, after the outcome is recorded', () => {
    const log: string[] = [];
    const breaker = new CircuitBreaker({
      tripper: trippers.failureStreak(2),
      tracker: { tracks: (e) => e !== 'ignored' },
    });
    breaker.events$.subscribe((e) => log.push(`event ${e.type}`));
    const withFallback = (source: Observable<string>) =>
      source.pipe(
        circuitBreaker(breaker, {
          fallback: (e) => {
            log.push(`fallback ${e instanceof CallNotPermittedError ? 'refusal' : String(e)}`);
            return of('cached');
          },
        }),
      );
    const values: string[] = [];
    withFallback(throwError(() => 'ignored')).subscribe((v) => values.push(v));
    withFallback(throwError(() => 'down')).subscribe((v) => values.push(v));
    withFallback(throwError(() => 'down')).subscribe((v) => values.push(v));
    withFallback(of('live')).subscribe((v) => values.push(v));
    expect(values).toEqual(['cached', 'cached', 'cached', 'cached']);
    expect(log).toEqual([
      'event ignored',
      'fallback ignored',
      'event failure',
      'fallback down',
      'event failure',
      'fallback down',
      'event rejected',
      'fallback refusal',
    ]);
    expect(breaker.info()).toMatchObject({ state: 'open', notPermittedCount: 1 });
  });

  test("the fallback's error goes to the subscriber, thrown or emitted", () => {
    const breaker = new CircuitBreaker();
    const errors: unknown[] = [];
    throwError(() => new Error('call'))
      .pipe(
        circuitBreaker(breaker, {
          fallback: () => {
            throw new Error('fallback threw');
          },
        }),
      )
      .subscribe({ error: (e: unknown) => errors.push(e) });
    throwError(() => new Error('call'))
      .pipe(
        circuitBreaker(breaker, {
          fallback: () => throwError(() => new Error('fallback errored')),
        }),
      )
      .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toEqual([new Error('fallback threw'), new Error('fallback errored')]);
    expect(breaker.info().metrics.failureCount).toBe(2);
  });

  test('unsubscribing ends the fallback too', () => {
    const breaker = new CircuitBreaker();
    const fallback$ = new Observable<string>(() => () => log.push('fallback torn down'));
    const log: string[] = [];
    const sub = throwError(() => new Error())
      .pipe(circuitBreaker(breaker, { fallback: () => fallback$ }))
      .subscribe();
    sub.unsubscribe();
    expect(log).toEqual(['fallback torn down']);
  });

  test('widens the element type to the union of the source and the fallback', () => {
    const breaker = new CircuitBreaker();
    const result: Observable<number | string> = of(1).pipe(
      circuitBreaker(breaker, { fallback: () => of('cached') }),
    );
    const values: Array<number | string> = [];
    result.subscribe((v) => values.push(v));
    expect(values).toEqual([1]);
  });
});

describe('isResult', () => {
  test('values it rejects pass through but do not make an unsubscribe a success', () => {
    const breaker = new CircuitBreaker();
    const events = eventsOf(breaker);
    const progress$ = new Observable<{ kind: string }>((o) => o.next({ kind: 'sent' }));
    const sub = progress$
      .pipe(
        circuitBreaker(breaker, { isResult: (v) => (v as { kind: string }).kind === 'response' }),
      )
      .subscribe();
    sub.unsubscribe();
    const answered$ = new Observable<{ kind: string }>((o) => {
      o.next({ kind: 'sent' });
      o.next({ kind: 'response' });
    });
    answered$
      .pipe(
        circuitBreaker(breaker, { isResult: (v) => (v as { kind: string }).kind === 'response' }),
      )
      .subscribe()
      .unsubscribe();
    expect(events).toEqual(['cancelled', 'success']);
  });
});
