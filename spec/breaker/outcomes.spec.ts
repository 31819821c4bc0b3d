/**
 * SPEC 2.2 (one outcome per call), 2.3 (recording) and 2.4 (stale outcomes).
 */
import { Observable, Subject, firstValueFrom, of, take, throwError } from 'rxjs';
import {
  CircuitBreaker,
  circuitBreaker,
  permits,
  retries,
  trackers,
  trippers,
  windows,
  type BreakerEvent,
  type Window,
} from '../../src';
import { ManualClock } from '../helpers/clock';
import { fail, startCall } from '../helpers/calls';

class Timeout extends Error {}

function setup(extra: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = new ManualClock(1000);
  const breaker = new CircuitBreaker({
    name: 'svc',
    scheduler: clock,
    tripper: trippers.minRequests(1000).and(trippers.failureRate(1)),
    permit: permits.all(),
    retry: retries.cooldown(100),
    ...extra,
  });
  const events: BreakerEvent[] = [];
  breaker.events$.subscribe((e) => events.push(e));
  return { clock, breaker, events };
}

describe('one outcome per call (SPEC 2.2)', () => {
  test('a completed source is a success whose duration runs from subscribe to complete', () => {
    // A time window: the breaker times calls for it, so the window holds the duration too.
    const { clock, breaker, events } = setup({ window: windows.time(60_000) });
    const c = startCall(breaker);
    clock.advance(250);
    c.source.next('a');
    clock.advance(50);
    c.source.complete();
    expect(c.seen).toEqual({ values: ['a'], completed: true, terminals: 1 });
    expect(events).toEqual([{ type: 'success', name: 'svc', at: 1300, duration: 300 }]);
    expect(breaker.info().metrics).toMatchObject({
      totalCount: 1,
      failureCount: 0,
      totalDuration: 300,
    });
  });

  test("successOn: 'value' records the success at the first value; a later error passes but is not recorded", () => {
    const { clock, breaker, events } = setup();
    const c = startCall(breaker, { successOn: 'value' });
    clock.advance(40);
    c.source.next(1);
    clock.advance(1000);
    c.source.next(2);
    c.source.error(new Error('socket closed'));
    expect(c.seen.values).toEqual([1, 2]);
    expect(c.seen.error).toEqual(new Error('socket closed'));
    expect(events).toEqual([{ type: 'success', name: 'svc', at: 1040, duration: 40 }]);
    expect(breaker.info().metrics).toMatchObject({ totalCount: 1, failureCount: 0 });
  });

  test('protect(source) judges as the operator does by default: an error after values is a failure', () => {
    const { breaker, events } = setup();
    const source = new Subject<number>();
    const seen: unknown[] = [];
    breaker.protect(source).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
    source.next(1);
    source.error(new Error('mid-stream'));
    expect(seen).toEqual([1, new Error('mid-stream')]);
    expect(events.map((e) => e.type)).toEqual(['failure']);
    expect(breaker.info().metrics).toMatchObject({ totalCount: 1, failureCount: 1 });
  });

  test('a tracked error is a failure with its duration; an untracked one is ignored', () => {
    const { clock, breaker, events } = setup({ tracker: trackers.typeOf(Timeout) });
    const a = startCall(breaker);
    clock.advance(70);
    a.source.error(new Timeout('slow'));
    const b = startCall(breaker);
    b.source.error(new RangeError('bad input'));
    expect(a.seen.error).toBeInstanceOf(Timeout);
    expect(b.seen.error).toBeInstanceOf(RangeError);
    expect(events.map((e) => e.type)).toEqual(['failure', 'ignored']);
    expect(events[0]).toMatchObject({ duration: 70, error: expect.any(Timeout) });
    expect(events[1]).not.toHaveProperty('duration');
    expect(breaker.info()).toMatchObject({
      consecutiveFailures: 1,
      metrics: { totalCount: 1, failureCount: 1 },
    });
  });

  test('an ignored error leaves the streak untouched', () => {
    const { breaker } = setup({ tracker: trackers.typeOf(Timeout) });
    fail(breaker, new Timeout());
    fail(breaker, new Timeout());
    fail(breaker, new TypeError());
    expect(breaker.info().consecutiveFailures).toBe(2);
  });

  test('unsubscribing before any value is a cancellation: nothing recorded', () => {
    const { clock, breaker, events } = setup();
    const c = startCall(breaker);
    clock.advance(10);
    c.subscription.unsubscribe();
    expect(c.source.observed).toBe(false);
    expect(events).toEqual([{ type: 'cancelled', name: 'svc', at: 1010 }]);
    expect(breaker.info().metrics.totalCount).toBe(0);
  });

  test('unsubscribing after a value is a success, with the duration up to the unsubscribe', () => {
    const { clock, breaker, events } = setup();
    const c = startCall(breaker);
    clock.advance(20);
    c.source.next('response');
    clock.advance(5);
    c.subscription.unsubscribe();
    expect(events).toEqual([{ type: 'success', name: 'svc', at: 1025, duration: 25 }]);
  });

  test('take(1) and firstValueFrom unsubscribe after the first value: a success, not a cancellation', async () => {
    const { breaker, events } = setup();
    // A source that emits once and never completes, like a long-poll that answered.
    const answered$ = new Observable<string>((s) => s.next('ok'));
    const viaTake: string[] = [];
    answered$.pipe(circuitBreaker(breaker), take(1)).subscribe((v) => viaTake.push(v));
    const viaPromise = await firstValueFrom(answered$.pipe(circuitBreaker(breaker)));
    expect(viaTake).toEqual(['ok']);
    expect(viaPromise).toBe('ok');
    expect(events.map((e) => e.type)).toEqual(['success', 'success']);
    expect(breaker.info().metrics.totalCount).toBe(2);
  });

  test('values, errors and completion pass through unchanged and synchronously', () => {
    const { breaker } = setup();
    const error = new Error('exact instance');
    const log: unknown[] = [];
    of(1, 2, 3)
      .pipe(circuitBreaker(breaker))
      .subscribe({ next: (v) => log.push(v), complete: () => log.push('done') });
    throwError(() => error)
      .pipe(circuitBreaker(breaker))
      .subscribe({ error: (e: unknown) => log.push(e) });
    log.push('after');
    expect(log).toEqual([1, 2, 3, 'done', error, 'after']);
    expect(log[4]).toBe(error);
  });
});

describe('recording (SPEC 2.3)', () => {
  test('a success is slow for every slowRate threshold it reaches (>=); a failure records its duration, never slow', () => {
    const { clock, breaker } = setup({
      tripper: trippers
        .slowRate(1, 100)
        .and(trippers.slowRate(1, 500))
        .and(trippers.minRequests(1000)),
    });
    for (const [duration, failed] of [
      [99, false],
      [100, false],
      [499, false],
      [500, false],
      [900, true],
    ] as const) {
      const c = startCall(breaker);
      clock.advance(duration);
      if (failed) c.source.error(new Error());
      else c.source.complete();
    }
    expect(breaker.info().metrics).toEqual({
      totalCount: 5,
      failureCount: 1,
      totalDuration: 99 + 100 + 499 + 500 + 900,
      failureRate: 0.2,
      avgDuration: 2098 / 5,
      slowCounts: { 100: 3, 500: 1 },
    });
  });

  test('the streak adds one per failure and goes back to 0 after any recorded success', () => {
    const { breaker } = setup();
    fail(breaker);
    fail(breaker);
    expect(breaker.info().consecutiveFailures).toBe(2);
    startCall(breaker).source.complete();
    expect(breaker.info().consecutiveFailures).toBe(0);
    fail(breaker);
    expect(breaker.info().consecutiveFailures).toBe(1);
  });

  test('info() reports null rates on an empty window', () => {
    const { breaker } = setup({ window: windows.time(60_000) });
    expect(breaker.info().metrics).toEqual({
      totalCount: 0,
      failureCount: 0,
      totalDuration: 0,
      failureRate: null,
      avgDuration: null,
      slowCounts: {},
    });
  });
});

describe('what a custom window is given', () => {
  test("a window is given the tripper's slow thresholds in ascending order, each once", () => {
    const given: (readonly number[])[] = [];
    const window: Window = {
      create: (thresholds) => {
        given.push(thresholds);
        return windows.count(10).create(thresholds);
      },
    };
    const breaker = new CircuitBreaker({
      window,
      tripper: { trips: () => false, slowThresholds: [1_000, 200, 50, 1_000, 5_000, 200] },
    });
    expect(given).toEqual([[50, 200, 1_000, 5_000]]);
    expect(breaker.info().metrics.slowCounts).toEqual({ 50: 0, 200: 0, 1_000: 0, 5_000: 0 });
  });

  test('a window that reads no time is given the last time read and a duration of 0, never undefined or NaN', () => {
    const recorded: [number, boolean, number][] = [];
    const window: Window = {
      usesTime: false,
      create: () => ({
        record: (now, failure, duration) => void recorded.push([now, failure, duration]),
        read: () => ({ totalCount: 0, failureCount: 0, totalDuration: 0, slowCounts: [] }),
        clear: () => undefined,
      }),
    };
    const clock = new ManualClock(5_000);
    const breaker = new CircuitBreaker({
      scheduler: clock,
      window,
      tripper: { trips: () => false, usesDurations: false },
    });
    clock.advance(100); // not read: nothing needs a call's time
    startCall(breaker).source.complete();
    fail(breaker);
    expect(recorded).toEqual([
      [5_000, false, 0],
      [5_000, true, 0],
    ]);
  });
  test('a failure is recorded at the time it ended, even if the tracker reads a later time', () => {
    const recorded: number[] = [];
    const clock = new ManualClock(1_000);
    const breaker: CircuitBreaker = new CircuitBreaker({
      scheduler: clock,
      window: {
        create: () => ({
          record: (now) => void recorded.push(now),
          read: () => ({ totalCount: 0, failureCount: 0, totalDuration: 0, slowCounts: [] }),
          clear: () => undefined,
        }),
      },
      tracker: {
        tracks: () => {
          clock.advance(500);
          breaker.info(); // reads the clock
          return true;
        },
      },
    });
    fail(breaker);
    expect(recorded).toEqual([1_000]);
  });
});

describe('stale outcomes (SPEC 2.4)', () => {
  test('an outcome of a call admitted before a transition is delivered but not recorded', () => {
    const { breaker, events } = setup({ tripper: trippers.failureStreak(2) });
    const late = startCall(breaker);
    const lateFailure = startCall(breaker);
    breaker.forceOpen();
    breaker.reset();
    late.source.next('v');
    late.source.complete();
    lateFailure.source.error(new Error('late'));
    expect(late.seen).toEqual({ values: ['v'], completed: true, terminals: 1 });
    expect(lateFailure.seen.error).toEqual(new Error('late'));
    expect(breaker.info()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      metrics: { totalCount: 0 },
    });
    // Stale outcomes are still events: every call is accounted for once.
    expect(events.map((e) => e.type)).toEqual(['success', 'failure']);
  });

  test('a late failure from closed cannot reopen a breaker that has since recovered', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({
      scheduler: clock,
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(10),
      permit: permits.all(),
    });
    const slow = startCall(breaker); // admitted while closed, generation 0
    fail(breaker); // -> open
    clock.advance(10);
    startCall(breaker).source.complete(); // probe -> half_open -> closed
    expect(breaker.state).toBe('closed');
    slow.source.error(new Error('from before the outage'));
    expect(breaker.state).toBe('closed');
    expect(breaker.info().metrics.totalCount).toBe(0);
  });

  test('a stale trial does not free a slot of the new half-open period', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({
      scheduler: clock,
      tripper: trippers.failureStreak(1),
      retry: retries.always(),
      permit: permits.all(),
      maxHalfOpenCalls: 1,
      maxHalfOpenDuration: 100,
    });
    fail(breaker);
    const old = startCall(breaker); // trial of the first half-open period
    clock.advance(100);
    const fresh = startCall(breaker); // deadline: -> open -> (always) -> half_open, new trial
    expect(fresh.source.observed).toBe(true);
    expect(breaker.info().reopens).toBe(1);
    old.subscription.unsubscribe(); // stale cancel: must not free fresh's slot
    expect(startCall(breaker).seen.error).toMatchObject({
      name: 'CallNotPermittedError',
      state: 'half_open',
    });
  });

  test('a late success cannot close a half-open breaker', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({
      scheduler: clock,
      // Trips on any failure; a half-open breaker's window starts empty, so a success judged
      // there would close it.
      tripper: trippers.minRequests(1).and(trippers.failureRate(0.5)),
      retry: retries.cooldown(10),
      permit: permits.all(),
    });
    const slow = startCall(breaker); // admitted while closed
    fail(breaker); // -> open
    clock.advance(10);
    const trial = startCall(breaker); // -> half_open, in flight
    expect(breaker.state).toBe('half_open');
    slow.source.complete();
    expect(breaker.state).toBe('half_open');
    trial.source.complete();
    expect(breaker.state).toBe('closed');
  });

  test('time windows drop what is older than their duration, with no new call (SPEC components)', () => {
    const { clock, breaker } = setup({ window: windows.time(10_000) });
    fail(breaker);
    clock.advance(9_999);
    expect(breaker.info().metrics.totalCount).toBe(1);
    clock.advance(1);
    expect(breaker.info().metrics.totalCount).toBe(0);
  });
});
