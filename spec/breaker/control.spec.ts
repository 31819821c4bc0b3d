/**
 * SPEC section 6: save and restore, timed open, cancellation on the promise path, automatic
 * half-open with dispose(), half-open decided by a sample, retryAfter in whole ms, origins.
 */
import { getEventListeners } from 'node:events';
import { TestScheduler } from 'rxjs/testing';
import {
  BreakerRegistry,
  CallNotPermittedError,
  CircuitBreaker,
  STATES,
  memoryStore,
  permits,
  retries,
  trippers,
  type BreakerEvent,
  type SavedState,
  type State,
  type StateStore,
  type Transition,
} from '../../src';
import { fail, startCall, succeed } from '../helpers/calls';
import { FaultyClock, ManualClock } from '../helpers/clock';

function opener(clock: ManualClock, extra: object = {}): CircuitBreaker {
  return new CircuitBreaker({
    name: 'api',
    tripper: trippers.failureStreak(1),
    retry: retries.cooldown(1_000),
    permit: permits.all(),
    scheduler: clock,
    ...extra,
  });
}

/** Puts a breaker into `state` through its public commands and calls. */
function drive(b: CircuitBreaker, clock: ManualClock, state: State): void {
  switch (state) {
    case 'closed':
      return;
    case 'open':
      fail(b);
      return;
    case 'half_open':
      fail(b);
      clock.advance(50_000);
      startCall(b); // a trial left in flight
      expect(b.state).toBe('half_open');
      return;
    case 'metrics_only':
      return b.metricsOnly();
    case 'disabled':
      return b.disable();
    case 'forced_open':
      return b.forceOpen();
  }
}

describe('save and restore (SPEC 6.1)', () => {
  test('toJSON is plain and JSON-safe, and JSON.stringify(breaker) uses it', () => {
    const clock = new ManualClock(5_000);
    const b = opener(clock, { retry: retries.never() });
    fail(b);
    const saved = b.toJSON();
    expect(saved).toEqual({
      version: 1,
      name: 'api',
      state: 'open',
      changedAt: 5_000,
      reopens: 0,
      generation: 1,
      retryWait: null,
    });
    expect(JSON.parse(JSON.stringify(b))).toEqual(saved);
    // An endless wait (null in JSON) comes back endless: refused with no retryAfter, for ever.
    const restored = opener(clock, { initialState: JSON.parse(JSON.stringify(saved)) as never });
    clock.advance(1e12);
    const refused = startCall(restored).seen.error as CallNotPermittedError;
    expect(refused).toBeInstanceOf(CallNotPermittedError);
    expect(refused.retryAfter).toBeUndefined();
    expect(restored.toJSON()).toEqual(saved);
  });

  test('an open breaker restored from JSON still refuses until its wait ends, then probes', () => {
    const clock = new ManualClock(10_000);
    const b = opener(clock);
    fail(b);
    clock.advance(400);
    const text = JSON.stringify(b);
    const restored = opener(clock, { initialState: JSON.parse(text) as SavedState });
    expect(restored.state).toBe('open');
    const refused = startCall(restored).seen.error as CallNotPermittedError;
    expect(refused.retryAfter).toBe(600);
    clock.advance(600);
    startCall(restored);
    expect(restored.state).toBe('half_open');
    expect(restored.toJSON().generation).toBe(2);
  });

  test('a breaker restored while its clock cannot be read stays open until changedAt + retryWait', () => {
    const clock = new FaultyClock(50_000);
    const config = {
      name: 'api',
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(10_000),
      permit: permits.all(),
      scheduler: clock,
      onError: () => undefined,
    };
    const old = new CircuitBreaker(config);
    fail(old); // open at 50 000 for 10 000 ms
    const initialState = JSON.parse(JSON.stringify(old)) as never;
    clock.mode = 'throw'; // the first reading of the new breaker's clock throws
    const restored = new CircuitBreaker({ ...config, initialState });
    clock.mode = 'ok';
    clock.advance(1);
    // A failed first reading is no time: the saved changedAt stands, and the wait with it.
    const call = startCall(restored);
    expect(call.seen.error).toBeInstanceOf(CallNotPermittedError);
    expect(restored.state).toBe('open');
    expect(restored.toJSON().changedAt).toBe(50_000);
  });

  test('a forced_open breaker restored stays forced open; windows start empty', () => {
    const clock = new ManualClock();
    const b = opener(clock);
    succeed(b);
    b.forceOpen();
    const restored = opener(clock, { initialState: b.toJSON() });
    expect(restored.state).toBe('forced_open');
    clock.advance(1e9);
    expect(startCall(restored).seen.error).toBeInstanceOf(CallNotPermittedError);
    expect(restored.info().metrics.totalCount).toBe(0);
  });

  test('a saved time ahead of this clock counts from now: the wait is never longer than drawn', () => {
    const clock = new ManualClock(0);
    const saved: SavedState = {
      version: 1,
      name: 'api',
      state: 'open',
      changedAt: 1_700_000_000_000,
      reopens: 2,
      generation: 9,
      retryWait: 1_000,
    };
    const b = opener(clock, { initialState: saved });
    expect(b.info().changedAt).toBe(0);
    expect(b.info().reopens).toBe(2);
    clock.advance(1_000);
    startCall(b);
    expect(b.state).toBe('half_open');
  });

  test.each<[string, unknown, string]>([
    ['not an object', 'open', 'CircuitBreaker config.initialState: expected an options object'],
    [
      'another version',
      { ...base(), version: 2 },
      'config.initialState.version: expected 1, got 2',
    ],
    [
      "another breaker's name",
      { ...base(), name: 'other' },
      'config.initialState.name: expected the breaker\'s own name "api", got "other"',
    ],
    [
      'an unknown state',
      { ...base(), state: 'ajar' },
      'config.initialState.state: expected one of closed, open, half_open, metrics_only, disabled, forced_open, got "ajar"',
    ],
    ['a negative changedAt', { ...base(), changedAt: -1 }, 'config.initialState.changedAt'],
    ['a NaN changedAt', { ...base(), changedAt: NaN }, 'config.initialState.changedAt'],
    ['an infinite changedAt', { ...base(), changedAt: Infinity }, 'config.initialState.changedAt'],
    ['fractional reopens', { ...base(), reopens: 1.5 }, 'config.initialState.reopens'],
    ['a negative generation', { ...base(), generation: -1 }, 'config.initialState.generation'],
    ['a negative retryWait', { ...base(), retryWait: -5 }, 'config.initialState.retryWait'],
    ['a string retryWait', { ...base(), retryWait: '5' }, 'config.initialState.retryWait'],
    ['an unknown field', { ...base(), window: [] }, 'unknown option "window"'],
  ])('an initialState with %s is a TypeError or RangeError naming the field', (_n, value, msg) => {
    expect(() => opener(new ManualClock(), { initialState: value })).toThrow(msg);
  });

  test('a saved wait counts only in open: any other state is restored without one', () => {
    const saved: SavedState = { ...base(), state: 'closed', retryWait: 5_000 };
    const b = opener(new ManualClock(), { initialState: saved });
    expect(b.toJSON()).toEqual({ ...saved, retryWait: 0 });
  });

  test('the registry takes initialState per name through configs', () => {
    const registry = new BreakerRegistry({
      defaults: { scheduler: new ManualClock() },
      configs: { api: { initialState: { ...base(), state: 'forced_open' } } },
    });
    expect(registry.get('api').state).toBe('forced_open');
    expect(registry.get('other').state).toBe('closed');
  });

  function base(): SavedState {
    return {
      version: 1,
      name: 'api',
      state: 'open',
      changedAt: 0,
      reopens: 0,
      generation: 1,
      retryWait: 100,
    };
  }
});

describe('openFor(ms) (SPEC 6.2)', () => {
  test.each(STATES)('from %s: open now for exactly ms, then the retry policy again', (from) => {
    const clock = new ManualClock(1_000);
    const b = opener(clock, { retry: retries.cooldown(50_000) });
    drive(b, clock, from);
    const transitions: Transition[] = [];
    b.transitions$.subscribe((t) => transitions.push(t));
    b.openFor(2_500);
    expect(b.state).toBe('open');
    expect(transitions.map((t) => [t.from, t.to])).toEqual(from === 'open' ? [] : [[from, 'open']]);
    const refused = startCall(b).seen.error as CallNotPermittedError;
    expect(refused.retryAfter).toBe(2_500);
    clock.advance(2_500);
    const trial = startCall(b);
    expect(b.state).toBe('half_open');
    trial.source.error(new Error('still down'));
    // The next opening waits what the retry policy says.
    expect((startCall(b).seen.error as CallNotPermittedError).retryAfter).toBe(50_000);
  });

  test('while open it restarts the wait from now and emits nothing', () => {
    const clock = new ManualClock();
    const b = opener(clock);
    fail(b);
    const states: State[] = [];
    b.state$.subscribe((s) => states.push(s));
    clock.advance(900);
    b.openFor(5_000);
    expect(states).toEqual(['open']);
    expect(b.info().changedAt).toBe(900);
    clock.advance(4_999);
    expect((startCall(b).seen.error as CallNotPermittedError).retryAfter).toBe(1);
  });
});

describe('execute(fn, signal) (SPEC 6.3)', () => {
  test('a resolved promise is a success, a rejection a failure; fn gets a signal', async () => {
    const b = opener(new ManualClock(), { tripper: trippers.failureStreak(2) });
    const seen: AbortSignal[] = [];
    await expect(
      b.execute(({ signal }) => {
        seen.push(signal);
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(seen[0]).toBeInstanceOf(AbortSignal);
    await expect(b.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(b.info().metrics).toMatchObject({ totalCount: 2, failureCount: 1 });
  });

  test('aborting before fn settles cancels the call: rejects with the reason, frees the trial slot', async () => {
    const clock = new ManualClock();
    const b = opener(clock, { maxHalfOpenCalls: 1 });
    const events: BreakerEvent['type'][] = [];
    b.events$.subscribe((e) => events.push(e.type));
    fail(b);
    clock.advance(1_000);
    const controller = new AbortController();
    let inner!: AbortSignal;
    const pending = b.execute(({ signal }) => {
      inner = signal;
      return new Promise<string>(() => undefined);
    }, controller.signal);
    expect(b.state).toBe('half_open');
    const reason = new Error('user left');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(inner.aborted).toBe(true);
    expect(inner.reason).toBe(reason);
    expect(events).toEqual(['failure', 'cancelled']);
    // The slot is free: the next call is the trial, and its success closes the breaker.
    await expect(b.execute(() => 1)).resolves.toBe(1);
    expect(b.state).toBe('closed');
  });

  test('an outcome after the abort is ignored', async () => {
    const b = opener(new ManualClock());
    const controller = new AbortController();
    let reject!: (e: unknown) => void;
    const pending = b.execute(() => new Promise((_r, rj) => (reject = rj)), controller.signal);
    controller.abort();
    reject(new Error('late'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await Promise.resolve();
    expect(b.state).toBe('closed');
    expect(b.info().metrics.totalCount).toBe(0);
  });

  test('a signal already aborted calls nothing, refuses nothing and records nothing', async () => {
    const b = opener(new ManualClock());
    fail(b); // open: a refusal would count in notPermittedCount
    const fn = jest.fn();
    const reason = new Error('gone');
    await expect(b.execute(fn, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(b.info().notPermittedCount).toBe(0);
  });

  test('a refusal rejects with a CallNotPermittedError and fn is not called', async () => {
    const b = opener(new ManualClock());
    fail(b);
    const fn = jest.fn();
    await expect(b.execute(fn, new AbortController().signal)).rejects.toBeInstanceOf(
      CallNotPermittedError,
    );
    expect(fn).not.toHaveBeenCalled();
  });

  test('fn that throws is a failure; bad arguments are TypeErrors', async () => {
    const b = opener(new ManualClock());
    await expect(
      b.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(b.state).toBe('open');
    await expect(b.execute(42 as never)).rejects.toThrow(
      'CircuitBreaker.execute(fn): expected a function, got 42',
    );
    await expect(b.execute(() => 1, {} as never)).rejects.toThrow(
      'CircuitBreaker.execute(fn, signal): expected an AbortSignal, got an object',
    );
  });

  test('a signal must have aborted, addEventListener and removeEventListener', async () => {
    const b = opener(new ManualClock());
    const on = () => undefined;
    for (const signal of [
      null,
      42,
      { aborted: 'no', addEventListener: on, removeEventListener: on },
      { aborted: false, removeEventListener: on },
      { aborted: false, addEventListener: on },
      Object.assign(() => undefined, {
        aborted: false,
        addEventListener: on,
        removeEventListener: on,
      }),
    ]) {
      await expect(b.execute(() => 1, signal as never)).rejects.toThrow(
        /^CircuitBreaker\.execute\(fn, signal\): expected an AbortSignal, got /,
      );
    }
    expect(b.info().metrics.totalCount).toBe(0);
  });

  test("leaves no listener on the caller's signal once the call settles or is aborted", async () => {
    const b = opener(new ManualClock(), { tripper: trippers.failureStreak(5) });
    const controller = new AbortController();
    await b.execute(() => 1, controller.signal);
    await expect(
      b.execute(() => Promise.reject(new Error('x')), controller.signal),
    ).rejects.toThrow();
    await expect(
      b.execute(() => {
        throw new Error('sync');
      }, controller.signal),
    ).rejects.toThrow('sync');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const aborted = new AbortController();
    const pending = b.execute(() => new Promise(() => undefined), aborted.signal);
    expect(getEventListeners(aborted.signal, 'abort')).toHaveLength(1);
    aborted.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(getEventListeners(aborted.signal, 'abort')).toHaveLength(0);
  });

  test('with a signal that keeps its listeners, an abort after the outcome cancels nothing', async () => {
    // An AbortSignal look-alike (as some polyfills are) whose removeEventListener does nothing.
    const listeners: (() => void)[] = [];
    const signal = {
      aborted: false,
      reason: new Error('late abort'),
      addEventListener: (_type: string, listener: () => void) => void listeners.push(listener),
      removeEventListener: () => undefined,
    } as unknown as AbortSignal;
    const b = opener(new ManualClock());
    const events: BreakerEvent['type'][] = [];
    b.events$.subscribe((e) => events.push(e.type));
    await expect(b.execute(() => 'ok', signal)).resolves.toBe('ok');
    for (const listener of listeners) listener();
    expect(events).toEqual(['success']);
  });

  test('in disabled, fn runs untouched: nothing is timed, recorded, freed or emitted', async () => {
    const clock = new FaultyClock();
    const b = opener(clock);
    const events: BreakerEvent[] = [];
    b.events$.subscribe((e) => events.push(e));
    b.disable();
    const reads = clock.reads;
    await expect(b.execute(() => 'ok')).resolves.toBe('ok');
    await expect(b.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(
      b.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    const controller = new AbortController();
    const pending = b.execute(() => new Promise(() => undefined), controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(events).toEqual([]);
    expect(clock.reads).toBe(reads);
  });
});

describe('autoHalfOpen and dispose() (SPEC 6.4)', () => {
  const testScheduler = () =>
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  test('entering open schedules the move to half_open at changedAt + retryWait', () => {
    const scheduler = testScheduler();
    scheduler.run(({ flush }) => {
      const b = opener(scheduler as never, { autoHalfOpen: true });
      const states: [number, State][] = [];
      b.state$.subscribe((s) => states.push([scheduler.now(), s]));
      fail(b);
      flush();
      expect(states).toEqual([
        [0, 'closed'],
        [0, 'open'],
        [1_000, 'half_open'],
      ]);
      expect(scheduler.actions).toHaveLength(0);
    });
  });

  test('any other transition cancels the pending move: removed from the scheduler', () => {
    const scheduler = testScheduler();
    scheduler.run(() => {
      const b = opener(scheduler as never, { autoHalfOpen: true });
      fail(b);
      expect(scheduler.actions).toHaveLength(1);
      b.reset();
      expect(scheduler.actions).toHaveLength(0);
      b.openFor(500);
      expect(scheduler.actions).toHaveLength(1);
      b.forceOpen();
      expect(scheduler.actions).toHaveLength(0);
    });
  });

  test('a breaker restored open schedules at construction; retries.never() schedules nothing', () => {
    const scheduler = testScheduler();
    scheduler.run(({ flush }) => {
      const restored = opener(scheduler as never, {
        autoHalfOpen: true,
        initialState: {
          version: 1,
          name: 'api',
          state: 'open',
          changedAt: 0,
          reopens: 0,
          generation: 1,
          retryWait: 300,
        },
      });
      const never = opener(scheduler as never, { autoHalfOpen: true, retry: retries.never() });
      fail(never);
      expect(scheduler.actions).toHaveLength(1);
      flush();
      expect(restored.state).toBe('half_open');
      expect(never.state).toBe('open');
    });
  });

  test('a wait longer than one timer holds is scheduled in steps', () => {
    const scheduler = testScheduler();
    scheduler.run(({ flush }) => {
      const wait = 3 * 2 ** 31;
      const b = opener(scheduler as never, { autoHalfOpen: true, retry: retries.cooldown(wait) });
      fail(b);
      expect(scheduler.actions[0]!.delay).toBe(2 ** 31 - 1);
      flush();
      expect(b.state).toBe('half_open');
      expect(b.info().changedAt).toBe(wait);
    });
  });

  test('a timer that fires early is scheduled again for the rest of the wait', () => {
    const clock = new ManualClock();
    const actions: (() => void)[] = [];
    const early = {
      now: () => clock.now(),
      schedule: (work: () => void) => {
        actions.push(work);
        return { unsubscribe: () => undefined };
      },
    };
    const b = opener(clock, { autoHalfOpen: true, scheduler: early });
    fail(b);
    clock.advance(400);
    actions.shift()!(); // fires 600 ms early
    expect(b.state).toBe('open');
    expect(actions).toHaveLength(1);
    clock.advance(600);
    actions.shift()!();
    expect(b.state).toBe('half_open');
  });

  test("a scheduler whose schedule() or a timer's unsubscribe() throws is reported; the move stays lazy", () => {
    const clock = new ManualClock();
    const faults: string[] = [];
    const timers: (() => void)[] = [];
    const broken = {
      now: () => clock.now(),
      schedule: (work: () => void) => {
        timers.push(work);
        return {
          unsubscribe: () => {
            throw new Error('cancel failed');
          },
        };
      },
    };
    const b = opener(clock, {
      autoHalfOpen: true,
      scheduler: broken,
      onError: (_e: unknown, { source }: { source: string }) => void faults.push(source),
    });
    fail(b);
    b.reset(); // cancelling the pending move throws
    expect(faults).toEqual(['scheduler']);
    // The timer that could not be cancelled fires, early, for an opening that is over: it does
    // nothing, and schedules nothing for the rest of that wait.
    timers.shift()!();
    expect(timers).toHaveLength(0);
    expect(b.state).toBe('closed');
    const refusing = opener(clock, {
      autoHalfOpen: true,
      scheduler: {
        now: () => clock.now(),
        schedule: () => {
          throw new Error('no timers here');
        },
      },
      onError: (_e: unknown, { source }: { source: string }) => void faults.push(source),
    });
    fail(refusing);
    expect(faults).toEqual(['scheduler', 'scheduler']);
    clock.advance(1_000);
    startCall(refusing);
    expect(refusing.state).toBe('half_open');
  });

  test('without the option nothing is scheduled', () => {
    const scheduler = testScheduler();
    scheduler.run(() => {
      const b = opener(scheduler as never);
      fail(b);
      expect(scheduler.actions).toHaveLength(0);
    });
  });

  test('dispose() cancels for good and completes the streams; calls are still judged', () => {
    const scheduler = testScheduler();
    scheduler.run(({ flush }) => {
      const b = opener(scheduler as never, { autoHalfOpen: true });
      const done: string[] = [];
      b.state$.subscribe({ complete: () => done.push('state$') });
      b.transitions$.subscribe({ complete: () => done.push('transitions$') });
      b.events$.subscribe({ complete: () => done.push('events$') });
      fail(b);
      b.dispose();
      expect(done).toEqual(['state$', 'transitions$', 'events$']);
      expect(scheduler.actions).toHaveLength(0);
      b.reset();
      fail(b); // opens again, but schedules nothing more
      expect(b.state).toBe('open');
      expect(scheduler.actions).toHaveLength(0);
      flush();
      expect(b.state).toBe('open');
      let completed = false;
      b.state$.subscribe({ complete: () => (completed = true) });
      expect(completed).toBe(true);
    });
  });

  test('dispose() twice closes the store once; a breaker never watched disposes quietly', () => {
    let closed = 0;
    const store: StateStore = {
      connect(client) {
        const session = memoryStore().connect(client);
        return { ...session, close: () => void closed++ };
      },
    };
    const b = new CircuitBreaker({ store });
    b.dispose();
    b.dispose();
    expect(closed).toBe(1);
  });

  test('streams first asked for after dispose() are complete at once', () => {
    const b = new CircuitBreaker();
    b.dispose();
    const seen: string[] = [];
    b.state$.subscribe({ next: (s) => seen.push(s), complete: () => seen.push('state$ done') });
    b.transitions$.subscribe({ complete: () => seen.push('transitions$ done') });
    b.events$.subscribe({ complete: () => seen.push('events$ done') });
    expect(seen).toEqual(['state$ done', 'transitions$ done', 'events$ done']);
  });
});

describe('halfOpenTrials (SPEC 6.5)', () => {
  function sampled(clock: ManualClock, extra: object = {}): CircuitBreaker {
    return opener(clock, {
      halfOpenTrials: 3,
      maxHalfOpenCalls: 3,
      tripper: trippers
        .closed()
        .and(trippers.failureStreak(1))
        .or(trippers.halfOpened().and(trippers.failureRate(0.5))),
      ...extra,
    });
  }

  test('decides only once n trial outcomes are recorded, on the failure rate of the sample', () => {
    const clock = new ManualClock();
    const b = sampled(clock);
    fail(b);
    clock.advance(1_000);
    const trials = [startCall(b), startCall(b), startCall(b)];
    expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError); // 3 in flight
    trials[0]!.source.error(new Error('x'));
    expect(b.state).toBe('half_open'); // one failure decides nothing yet
    trials[1]!.source.error(new Error('y'));
    expect(b.state).toBe('half_open');
    trials[2]!.source.complete();
    expect(b.state).toBe('open');
    expect(b.info().reopens).toBe(1);
  });

  test('a sample of mostly successes closes', () => {
    const clock = new ManualClock();
    const b = sampled(clock);
    fail(b);
    clock.advance(1_000);
    succeed(b);
    fail(b);
    expect(b.state).toBe('half_open');
    succeed(b);
    expect(b.state).toBe('closed');
  });

  test('slow successes reopen a breaker that opened for slowness', () => {
    const clock = new ManualClock();
    const b = opener(clock, {
      halfOpenTrials: 2,
      tripper: trippers.slowRate(0.5, 100),
    });
    const slow = () => {
      const c = startCall(b);
      clock.advance(150);
      c.source.complete();
    };
    slow();
    expect(b.state).toBe('open');
    clock.advance(1_000);
    slow();
    expect(b.state).toBe('half_open');
    slow();
    expect(b.state).toBe('open');
    clock.advance(1_000);
    succeed(b);
    succeed(b);
    expect(b.state).toBe('closed');
  });

  test('cancelled and ignored trials are not part of the sample', () => {
    const clock = new ManualClock();
    const b = sampled(clock, { tracker: { tracks: (e: unknown) => e !== 'ignored' } });
    fail(b);
    clock.advance(1_000);
    startCall(b).subscription.unsubscribe();
    fail(b, 'ignored');
    succeed(b);
    succeed(b);
    expect(b.state).toBe('half_open');
    succeed(b);
    expect(b.state).toBe('closed');
  });
});

describe('retryAfter and origin (SPEC 6.6, 6.7)', () => {
  test('retryAfter is a whole number of ms, rounded up', () => {
    const clock = new ManualClock(0.25);
    const b = opener(clock, { retry: retries.cooldown(1_000.6) });
    fail(b);
    clock.advance(0.5);
    expect((startCall(b).seen.error as CallNotPermittedError).retryAfter).toBe(1_001);
    clock.advance(1_000);
    expect((startCall(b).seen.error as CallNotPermittedError).retryAfter).toBe(1);
  });

  test('every transition made here is local', () => {
    const clock = new ManualClock();
    const b = opener(clock);
    const origins: string[] = [];
    b.transitions$.subscribe((t) => origins.push(t.origin));
    fail(b);
    clock.advance(1_000);
    succeed(b);
    b.forceOpen();
    b.openFor(10);
    expect(origins).toEqual(['local', 'local', 'local', 'local', 'local']);
  });
});
