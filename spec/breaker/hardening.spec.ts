/**
 * What an adversarial review broke: re-entrant commands, throwing teardowns, clocks that throw,
 * return NaN or step back, and async onError hooks. Each test failed before its fix.
 */
import { Observable, config as rxjsConfig, map, type Subscriber } from 'rxjs';
import {
  CallNotPermittedError,
  CircuitBreaker,
  circuitBreaker,
  permits,
  retries,
  trippers,
  windows,
  type BreakerEvent,
  type FaultContext,
  type Transition,
} from '../../src';
import { fail, startCall, succeed } from '../helpers/calls';
import { FaultyClock, ManualClock } from '../helpers/clock';

function recording(b: CircuitBreaker) {
  const transitions: Transition[] = [];
  const events: BreakerEvent[] = [];
  b.transitions$.subscribe((t) => transitions.push(t));
  b.events$.subscribe((e) => events.push(e));
  return { transitions, events };
}

/** Each `from` is the previous `to`, starting from `start`. */
function expectChain(transitions: readonly Transition[], start = 'closed'): void {
  let at = start;
  for (const t of transitions) {
    expect(t.from).toBe(at);
    at = t.to;
  }
}

describe('re-entrant commands', () => {
  test('forceOpen() from onError while a throwing retry.wait() is reported wins over the opening', () => {
    const faults: FaultContext['source'][] = [];
    const b: CircuitBreaker = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      retry: {
        wait: () => {
          throw new Error('retry broke');
        },
      },
      onError: (_e, { source }) => {
        faults.push(source);
        b.forceOpen();
      },
      scheduler: new ManualClock(),
    });
    const { transitions } = recording(b);
    const c = fail(b);
    expect(faults).toEqual(['retry']);
    expect(b.state).toBe('forced_open');
    expect(transitions.map((t) => t.to)).toEqual(['forced_open']);
    expectChain(transitions);
    expect(c.seen.terminals).toBe(1);
  });

  test('a tripper that calls forceOpen(): the call gets its own error and the command stands', () => {
    const faults: unknown[] = [];
    // The retry policy is not asked for a wait: the opening it would be for was dropped.
    const wait = jest.fn(() => 1_000);
    const b: CircuitBreaker = new CircuitBreaker({
      tripper: {
        trips: () => {
          b.forceOpen();
          return true;
        },
      },
      retry: { wait },
      onError: (e) => void faults.push(e),
      scheduler: new ManualClock(),
    });
    const { transitions } = recording(b);
    const own = new Error('own');
    const c = fail(b, own);
    expect(c.seen.error).toBe(own);
    expect(c.seen.terminals).toBe(1);
    expect(faults).toEqual([]);
    expect(b.state).toBe('forced_open');
    expect(transitions.map((t) => [t.from, t.to])).toEqual([['closed', 'forced_open']]);
    expect(wait).not.toHaveBeenCalled();
  });

  test('a listener that resets the breaker on open: transitions still read as a chain', () => {
    const b: CircuitBreaker = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      listeners: [(t) => (t.to === 'open' ? b.reset() : undefined)],
      scheduler: new ManualClock(),
    });
    const { transitions } = recording(b);
    fail(b);
    fail(b);
    expect(transitions.map((t) => t.to)).toEqual(['open', 'closed', 'open', 'closed']);
    expectChain(transitions);
    expect(b.state).toBe('closed');
  });
});

describe('a source whose teardown throws', () => {
  /**
   * A source that has registered its teardown (a socket close that throws) and then ends with
   * `end`; what the subscriber and RxJS's unhandled-error hook see, piped through `op`.
   */
  function observe(
    end: 'complete' | 'error',
    op: (s: Observable<number>) => Observable<number>,
  ): unknown[] {
    const seen: unknown[] = [];
    let source!: Subscriber<number>;
    const flaky = new Observable<number>((s) => {
      source = s;
      return () => {
        throw new Error('socket close failed');
      };
    });
    const previous = rxjsConfig.onUnhandledError;
    rxjsConfig.onUnhandledError = (e) => seen.push(['unhandled', String(e)]);
    try {
      op(flaky).subscribe({
        next: (v) => seen.push(['next', v]),
        error: (e) => seen.push(['error', (e as Error).message]),
        complete: () => seen.push(['complete']),
      });
      source.next(1);
      try {
        if (end === 'complete') source.complete();
        else source.error(new Error('boom'));
      } catch (e) {
        seen.push(['thrown', String(e)]);
      }
    } finally {
      rxjsConfig.onUnhandledError = previous;
    }
    return seen;
  }

  test.each(['complete', 'error'] as const)(
    'the subscriber still gets %s, and the teardown error surfaces as it does with map',
    (end) => {
      const plain = observe(end, (s) => s.pipe(map((x) => x)));
      const b = new CircuitBreaker({ scheduler: new ManualClock() });
      const guarded = observe(end, (s) => s.pipe(circuitBreaker(b)));
      expect(plain).toContainEqual(end === 'complete' ? ['complete'] : ['error', 'boom']);
      expect(guarded).toEqual(plain);
      expect(b.info().metrics.totalCount).toBe(1);
    },
  );
});

describe('the clock is user input too', () => {
  test('now() that throws once while a trial starts leaks no slot', () => {
    const clock = new FaultyClock();
    const faults: string[] = [];
    const b = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(100),
      permit: permits.all(),
      maxHalfOpenCalls: 1,
      scheduler: clock,
      onError: (_e, { source }) => void faults.push(source),
    });
    fail(b);
    clock.advance(100);
    // The probe's reading is good; the trial's own readings (admission, start) throw.
    clock.faults.push('ok', 'throw', 'throw');
    const trial = startCall(b);
    expect(b.state).toBe('half_open');
    trial.source.complete();
    expect(trial.seen.completed).toBe(true);
    expect(b.state).toBe('closed');
    expect(faults).toEqual(['scheduler']);
  });

  test('what the clock threw reaches onError as it is, once until the clock recovers', () => {
    const clock = new FaultyClock();
    const faults: unknown[] = [];
    const b = new CircuitBreaker({ scheduler: clock, onError: (e) => void faults.push(e) });
    clock.mode = 'throw';
    b.info();
    b.info();
    clock.mode = 'ok';
    b.info();
    clock.mode = 'nan';
    b.info();
    expect(faults).toHaveLength(2);
    expect(faults[0]).toEqual(new Error('clock broke'));
    expect(faults[1]).toBeInstanceOf(TypeError);
    expect((faults[1] as Error).message).toBe('scheduler.now(): expected a finite number, got NaN');
  });

  test('a clock that fails at its very first reading, in the constructor, is reported too', () => {
    const clock = new FaultyClock(1_000);
    clock.faults.push('throw');
    const sources: string[] = [];
    new CircuitBreaker({
      scheduler: clock,
      onError: (_e, { source }) => void sources.push(source),
    });
    expect(sources).toEqual(['scheduler']);
  });

  test('now() that throws while a success is recorded loses neither the complete nor the slot', () => {
    const clock = new FaultyClock();
    const b = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(100),
      permit: permits.all(),
      maxHalfOpenCalls: 1,
      scheduler: clock,
      onError: () => undefined,
    });
    fail(b);
    clock.advance(100);
    const trial = startCall(b);
    clock.faults.push('throw');
    trial.source.complete();
    expect(trial.seen.completed).toBe(true);
    expect(b.state).toBe('closed');
  });

  test.each(['nan', 'infinity', 'string'] as const)(
    'a %s reading at the probe is never stored: maxHalfOpenDuration still ends a hung probe',
    (fault) => {
      const clock = new FaultyClock(1000);
      const b = new CircuitBreaker({
        tripper: trippers.failureStreak(1),
        retry: retries.cooldown(100),
        permit: permits.all(),
        maxHalfOpenCalls: 1,
        maxHalfOpenDuration: 500,
        scheduler: clock,
        onError: () => undefined,
      });
      fail(b);
      clock.advance(100);
      clock.faults.push(fault);
      // A bad reading at the probe: the last good time stands, so the wait is not over yet.
      expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError);
      expect(b.state).toBe('open');
      clock.faults.push('ok', fault);
      startCall(b); // the hung trial, admitted at a bad reading
      expect(b.state).toBe('half_open');
      expect(Number.isFinite(b.info().changedAt)).toBe(true);
      expect(Number.isFinite(b.toJSON().changedAt)).toBe(true);
      clock.advance(500);
      const next = startCall(b);
      // The half-open duration ended: reopened, and the call is judged as in open.
      expect(next.seen.error).toBeInstanceOf(CallNotPermittedError);
      expect(b.info().reopens).toBe(1);
    },
  );

  test('a time window drops its calls after its duration even when the clock steps back', () => {
    const clock = new FaultyClock(100_000);
    const b = new CircuitBreaker({
      window: windows.time(10_000),
      tripper: trippers.minRequests(3).and(trippers.failureRate(0.5)),
      scheduler: clock,
    });
    fail(b);
    fail(b);
    clock.set(0); // NTP steps the clock back 100 s
    expect(b.info().metrics.totalCount).toBe(2); // still recent
    clock.advance(10_000);
    expect(b.info().metrics.totalCount).toBe(0); // 10 s later they are gone
    fail(b);
    expect(b.state).toBe('closed'); // the old failures no longer count
  });

  test('an open breaker waits what the retry drew, not the step back plus the wait', () => {
    const clock = new FaultyClock(100_000);
    const b = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(60_000),
      scheduler: clock,
    });
    fail(b);
    clock.advance(10_000);
    expect((startCall(b).seen.error as CallNotPermittedError).retryAfter).toBe(50_000);
    clock.set(0); // 110 s back
    const refused = startCall(b);
    expect((refused.seen.error as CallNotPermittedError).retryAfter).toBe(50_000);
    clock.advance(50_000);
    startCall(b);
    expect(b.state).toBe('half_open');
  });

  test('durations are never negative when the clock steps back mid-call', () => {
    const clock = new FaultyClock(5_000);
    const b = new CircuitBreaker({ scheduler: clock, window: windows.time(60_000) });
    const { events } = recording(b);
    const c = startCall(b);
    clock.set(1_000);
    c.source.complete();
    const e = c.seen.completed && events[0];
    expect(e).toMatchObject({ type: 'success', duration: 0 });
    expect(b.info().metrics.totalDuration).toBe(0);
  });

  test('with a jittered wait, waiting exactly the retryAfter of a refusal is admitted', () => {
    for (const draw of [0.01, 0.37, 0.5, 0.99]) {
      const clock = new ManualClock(1_000);
      const b = new CircuitBreaker({
        tripper: trippers.failureStreak(1),
        retry: retries.cooldown(1_000, { jitter: 0.33 }),
        permit: permits.all(),
        random: () => draw,
        scheduler: clock,
      });
      fail(b);
      clock.advance(123);
      const error = startCall(b).seen.error as CallNotPermittedError;
      expect(Number.isInteger(error.retryAfter)).toBe(true);
      expect(error.retryAfter).toBeGreaterThan(0);
      clock.advance(error.retryAfter!);
      const trial = startCall(b);
      expect(trial.seen.error).toBeUndefined();
      expect(b.state).toBe('half_open');
    }
  });
});

describe('onError', () => {
  test('an async onError that rejects does not become an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const b = new CircuitBreaker({
        scheduler: new ManualClock(),
        listeners: [
          () => {
            throw new Error('listener broke');
          },
        ],
        tripper: trippers.failureStreak(1),
        onError: async () => {
          throw new Error('hook broke');
        },
      });
      fail(b);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(logged).toHaveBeenCalledWith(
        "rxjs-fluxgate: onError of circuit breaker 'default' threw",
        new Error('hook broke'),
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
      logged.mockRestore();
    }
  });

  test('a sparse listeners array is refused, not skipped', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(() => new CircuitBreaker({ listeners: [, () => undefined] as never })).toThrow(
      'CircuitBreaker config.listeners[0]: expected a function, got undefined',
    );
  });

  test('a count window too large to allocate is refused at the factory', () => {
    expect(() => windows.count(1_000_000)).not.toThrow();
    expect(() => windows.count(1_000_001)).toThrow(RangeError);
  });

  test('a breaker still opens with the largest count window', () => {
    const b = new CircuitBreaker({
      window: windows.count(1_000_000),
      tripper: trippers.failureStreak(2),
      scheduler: new ManualClock(),
    });
    succeed(b);
    fail(b);
    fail(b);
    expect(b.state).toBe('open');
  });
});
