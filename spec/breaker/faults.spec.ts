/**
 * SPEC 2.8: user code that throws never breaks the breaker.
 */
import { Observable, throwError } from 'rxjs';
import {
  CallNotPermittedError,
  CircuitBreaker,
  circuitBreaker,
  permits,
  retries,
  memoryStore,
  trippers,
  type FaultContext,
  type Listener,
  type StateStore,
  type StoreClient,
} from '../../src';
import { ManualClock } from '../helpers/clock';
import { fail, startCall, succeed } from '../helpers/calls';

function collecting() {
  const faults: Array<{ error: unknown; context: FaultContext }> = [];
  return {
    faults,
    onError: (error: unknown, context: FaultContext) => void faults.push({ error, context }),
  };
}

describe('user code that throws (SPEC 2.8)', () => {
  test('a throwing listener is reported and does not stop the others or the call', () => {
    const { faults, onError } = collecting();
    const seen: string[] = [];
    const b = new CircuitBreaker({
      name: 'l',
      tripper: trippers.failureStreak(1),
      onError,
      listeners: [
        () => {
          throw new Error('listener 1');
        },
        (t) => void seen.push(t.to),
      ],
    });
    const c = fail(b);
    expect(c.seen.terminals).toBe(1);
    expect(seen).toEqual(['open']);
    expect(faults).toEqual([
      { error: new Error('listener 1'), context: { breaker: 'l', source: 'listener' } },
    ]);
  });

  test("a listener's rejected promise is reported like a throw, and not awaited", async () => {
    const { faults, onError } = collecting();
    let settle!: () => void;
    const slow: Listener = () => new Promise<void>((resolve) => (settle = resolve));
    const b = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      onError,
      listeners: [slow, () => Promise.reject(new Error('async listener'))],
    });
    fail(b);
    expect(b.state).toBe('open'); // the transition finished while `slow` is still pending
    await Promise.resolve();
    expect(faults.map((f) => f.context.source)).toEqual(['listener']);
    settle();
  });

  test('a throwing tracker counts the error as a failure and the subscriber still gets it', () => {
    const { faults, onError } = collecting();
    const b = new CircuitBreaker({
      tripper: trippers.failureStreak(2),
      onError,
      tracker: {
        tracks: () => {
          throw new Error('tracker');
        },
      },
    });
    const c = fail(b, new Error('original'));
    expect(c.seen.error).toEqual(new Error('original'));
    fail(b);
    expect(b.state).toBe('open');
    expect(faults.map((f) => f.context.source)).toEqual(['tracker', 'tracker']);
  });

  test('a throwing tripper makes no transition and is reported; calls go on', () => {
    const { faults, onError } = collecting();
    let broken = true;
    const b = new CircuitBreaker({
      onError,
      tripper: {
        trips: () => {
          if (broken) throw new Error('tripper');
          return true;
        },
      },
    });
    expect(fail(b).seen.terminals).toBe(1);
    expect(b.state).toBe('closed');
    broken = false;
    fail(b);
    expect(b.state).toBe('open');
    expect(faults.map((f) => f.context.source)).toEqual(['tripper']);
  });

  test('a tripper that throws in half_open decides nothing: a successful trial does not close', () => {
    const { faults, onError } = collecting();
    const clock = new ManualClock();
    let broken = false;
    const b = new CircuitBreaker({
      onError,
      scheduler: clock,
      permit: permits.all(),
      retry: retries.cooldown(1_000),
      tripper: {
        trips: ({ consecutiveFailures }) => {
          if (broken) throw new Error('tripper');
          return consecutiveFailures > 0;
        },
      },
    });
    fail(b);
    clock.advance(1_000);
    broken = true;
    expect(succeed(b).seen.completed).toBe(true);
    expect(b.state).toBe('half_open');
    expect(faults.map((f) => f.context.source)).toEqual(['tripper']);
  });

  test.each<[string, () => number, Error]>([
    [
      'throws',
      () => {
        throw new Error('retry');
      },
      new Error('retry'),
    ],
    [
      'returns NaN',
      () => Number.NaN,
      new TypeError('retry.wait(): expected a number >= 0, got NaN'),
    ],
    ['returns -5', () => -5, new TypeError('retry.wait(): expected a number >= 0, got -5')],
    [
      'returns "5"',
      () => '5' as never,
      new TypeError('retry.wait(): expected a number >= 0, got "5"'),
    ],
  ])(
    'a retry that %s falls back to a 60 s wait: the breaker cannot stick open',
    (_n, wait, fault) => {
      const { faults, onError } = collecting();
      const clock = new ManualClock();
      const b = new CircuitBreaker({
        scheduler: clock,
        onError,
        tripper: trippers.failureStreak(1),
        permit: permits.all(),
        retry: { wait },
      });
      fail(b);
      expect(startCall(b).seen.error).toMatchObject({ retryAfter: 60_000 });
      clock.advance(60_000);
      succeed(b);
      expect(b.state).toBe('closed');
      expect(faults).toEqual([{ error: fault, context: { breaker: 'default', source: 'retry' } }]);
      expect(faults[0]!.error).toBeInstanceOf(fault.constructor);
    },
  );

  test('a throwing permit admits the call, so probing goes on', () => {
    const { faults, onError } = collecting();
    const clock = new ManualClock();
    const b = new CircuitBreaker({
      scheduler: clock,
      onError,
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(10),
      permit: {
        admits: () => {
          throw new Error('permit');
        },
      },
    });
    fail(b);
    clock.advance(10);
    succeed(b);
    expect(b.state).toBe('closed');
    expect(faults.map((f) => f.context.source)).toEqual(['permit']);
  });

  test('a throwing window is reported; the call completes and, with no totals, nothing is judged', () => {
    const { faults, onError } = collecting();
    const trips = jest.fn(() => true);
    const b = new CircuitBreaker({
      onError,
      tripper: { trips },
      window: {
        create: () => ({
          record: () => {
            throw new Error('record');
          },
          read: () => {
            throw new Error('read');
          },
          clear: () => undefined,
        }),
      },
    });
    const c = succeed(b);
    expect(c.seen.completed).toBe(true);
    expect(trips).not.toHaveBeenCalled();
    expect(b.state).toBe('closed');
    expect(faults.map((f) => f.context.source)).toEqual(['window', 'window']);
  });

  test('a window whose clear() throws is reported; the transition and a command to the same state still happen', () => {
    const { faults, onError } = collecting();
    const b = new CircuitBreaker({
      onError,
      tripper: trippers.failureStreak(1),
      window: {
        create: () => ({
          record: () => undefined,
          read: () => ({ totalCount: 0, failureCount: 0, totalDuration: 0, slowCounts: [] }),
          clear: () => {
            throw new Error('clear');
          },
        }),
      },
    });
    fail(b);
    expect(b.state).toBe('open');
    b.forceOpen();
    b.forceOpen(); // the same state: only a clear
    expect(b.state).toBe('forced_open');
    expect(faults.map((f) => [f.context.source, (f.error as Error).message])).toEqual([
      ['window', 'clear'],
      ['window', 'clear'],
      ['window', 'clear'],
    ]);
  });

  test('a store reaches the clock and reports its faults through the breaker', () => {
    const { faults, onError } = collecting();
    const clock = new ManualClock(5_000);
    let client: StoreClient | undefined;
    const store: StateStore = {
      connect(c) {
        client = c;
        return memoryStore().connect(c);
      },
    };
    const b = new CircuitBreaker({ name: 'shared', onError, scheduler: clock, store });
    clock.advance(250);
    expect(client!.now()).toBe(5_250);
    client!.report(new Error('connection lost'));
    expect(faults).toEqual([
      { error: new Error('connection lost'), context: { breaker: 'shared', source: 'store' } },
    ]);
    expect(b.state).toBe('closed');
  });

  test('without onError, faults go to console.error; a throwing onError is reported there too', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const plain = new CircuitBreaker({
        name: 'quiet',
        tripper: trippers.failureStreak(1),
        listeners: [
          () => {
            throw new Error('boom');
          },
        ],
      });
      fail(plain);
      expect(spy.mock.calls).toEqual([
        ["rxjs-fluxgate: the listener of circuit breaker 'quiet' threw", new Error('boom')],
      ]);
      spy.mockClear();
      const loud = new CircuitBreaker({
        tripper: trippers.failureStreak(1),
        onError: () => {
          throw new Error('onError itself');
        },
        listeners: [
          () => {
            throw new Error('listener');
          },
        ],
      });
      expect(fail(loud).seen.terminals).toBe(1);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  test('an onError that returns is the only report: nothing goes to console.error', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const faults: unknown[] = [];
      const b = new CircuitBreaker({
        tripper: trippers.failureStreak(1),
        onError: (error) => void faults.push(error),
        listeners: [
          () => {
            throw new Error('listener');
          },
        ],
      });
      fail(b);
      expect(faults).toEqual([new Error('listener')]);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  test('only a thenable a listener returns is watched: other values are no fault', async () => {
    const { faults, onError } = collecting();
    const plain = [null, undefined, 0, 'text', {}, { then: 'not a function' }, () => undefined];
    // A function with a then method is a thenable too.
    const functionThenable = Object.assign(() => undefined, {
      then: (_onFulfilled: unknown, onRejected: (error: unknown) => void) =>
        onRejected(new Error('function thenable')),
    });
    const b = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      onError,
      // Typed code cannot return these; plain JavaScript can.
      listeners: [...plain, functionThenable].map((value) => (() => value) as unknown as Listener),
    });
    fail(b);
    await Promise.resolve();
    expect(faults).toEqual([
      {
        error: new Error('function thenable'),
        context: { breaker: 'default', source: 'listener' },
      },
    ]);
  });

  test('an isResult predicate that throws counts the value as a result and is reported', () => {
    const { faults, onError } = collecting();
    const b = new CircuitBreaker({ onError });
    // A value and no completion: only a value taken as the result makes the unsubscribe a success.
    const sub = new Observable<number>((o) => o.next(1))
      .pipe(
        circuitBreaker(b, {
          isResult: () => {
            throw new Error('predicate');
          },
        }),
      )
      .subscribe();
    sub.unsubscribe();
    expect(b.info().metrics.totalCount).toBe(1);
    expect(faults.map((f) => f.context.source)).toEqual(['isResult']);
  });

  test('a fallback that throws reaches the subscriber as its one terminal notification', () => {
    const b = new CircuitBreaker({ tripper: trippers.failureStreak(1) });
    const terminals: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      throwError(() => new Error('call'))
        .pipe(
          circuitBreaker(b, {
            fallback: (e) => {
              throw new Error(
                e instanceof CallNotPermittedError ? 'fallback on refusal' : 'fallback on failure',
              );
            },
          }),
        )
        .subscribe({
          error: (e: unknown) => terminals.push(e),
          complete: () => terminals.push('complete'),
        });
    }
    expect(terminals).toEqual([new Error('fallback on failure'), new Error('fallback on refusal')]);
  });
});
