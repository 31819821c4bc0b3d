/**
 * The promise path: call(fn, ...args) and callWithFallback follow the same rules as the operator.
 */
import {
  CallNotPermittedError,
  CircuitBreaker,
  permits,
  retries,
  trackers,
  trippers,
  type BreakerEvent,
} from '../../src';
import { ManualClock } from '../helpers/clock';

function setup() {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({
    name: 'p',
    scheduler: clock,
    tripper: trippers.failureStreak(2),
    tracker: trackers.typeOf(TypeError),
    retry: retries.cooldown(100),
    permit: permits.all(),
    maxHalfOpenCalls: 1,
  });
  const events: BreakerEvent[] = [];
  breaker.events$.subscribe((e) => events.push(e));
  return { clock, breaker, events };
}

describe('call(fn, ...args)', () => {
  test('passes the arguments, resolves with the value and records a success with its duration', async () => {
    const { clock, breaker, events } = setup();
    const value = await breaker.call(
      async (a: number, b: string) => {
        clock.advance(30);
        return `${a}${b}`;
      },
      4,
      'x',
    );
    expect(value).toBe('4x');
    expect(events).toEqual([{ type: 'success', name: 'p', at: 30, duration: 30 }]);
  });

  test('a rejection or a synchronous throw is passed on and tracked; untracked errors are ignored', async () => {
    const { breaker, events } = setup();
    await expect(breaker.call(() => Promise.reject(new TypeError('net')))).rejects.toThrow('net');
    await expect(
      breaker.call(() => {
        throw new RangeError('input');
      }),
    ).rejects.toThrow('input');
    expect(events.map((e) => e.type)).toEqual(['failure', 'ignored']);
    await expect(
      breaker.call(() => {
        throw new TypeError('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state).toBe('open');
  });

  test('refuses while open with a CallNotPermittedError, without calling fn', async () => {
    const { breaker } = setup();
    breaker.forceOpen();
    const fn = jest.fn(() => Promise.resolve(1));
    await expect(breaker.call(fn)).rejects.toBeInstanceOf(CallNotPermittedError);
    expect(fn).not.toHaveBeenCalled();
  });

  test('caps half-open trials and a late outcome from an older generation is not recorded', async () => {
    const { clock, breaker } = setup();
    const failing = () => Promise.reject(new TypeError());
    await breaker.call(failing).catch(() => undefined);
    await breaker.call(failing).catch(() => undefined);
    clock.advance(100);
    let finish!: (v: string) => void;
    const trial = breaker.call(() => new Promise<string>((r) => (finish = r)));
    await expect(breaker.call(() => Promise.resolve('second'))).rejects.toMatchObject({
      state: 'half_open',
    });
    breaker.forceOpen();
    breaker.reset();
    finish('late');
    await expect(trial).resolves.toBe('late');
    expect(breaker.info().metrics.totalCount).toBe(0);
  });

  test('a non-function is a TypeError', async () => {
    const { breaker } = setup();
    await expect(breaker.call(42 as unknown as () => number)).rejects.toThrow(
      'CircuitBreaker.call(fn): expected a function, got 42',
    );
  });

  test('in disabled, fn runs untouched and nothing is recorded', async () => {
    const { breaker, events } = setup();
    breaker.disable();
    await expect(breaker.call(() => Promise.reject(new TypeError('x')))).rejects.toThrow('x');
    expect(await breaker.call(() => 5)).toBe(5);
    expect(events).toEqual([]);
  });
});

describe('callWithFallback(fn, fallback, ...args)', () => {
  test('falls back on a failure, an ignored error and a refusal, after recording the outcome', async () => {
    const { breaker, events } = setup();
    const seen: string[] = [];
    const fallback = (e: unknown) => {
      seen.push(`${events.length}:${(e as Error).constructor.name}`);
      return 'cached';
    };
    expect(await breaker.callWithFallback(() => Promise.reject(new RangeError()), fallback)).toBe(
      'cached',
    );
    expect(await breaker.callWithFallback(() => Promise.reject(new TypeError()), fallback)).toBe(
      'cached',
    );
    expect(await breaker.callWithFallback(() => Promise.reject(new TypeError()), fallback)).toBe(
      'cached',
    );
    expect(await breaker.callWithFallback((n: number) => n * 2, fallback, 21)).toBe('cached');
    expect(seen).toEqual(['1:RangeError', '2:TypeError', '3:TypeError', '4:CallNotPermittedError']);
  });

  test('a non-function fn is a TypeError, not handed to the fallback', async () => {
    const { breaker } = setup();
    await expect(breaker.callWithFallback(42 as never, () => 'fallback')).rejects.toThrow(
      'CircuitBreaker.callWithFallback(fn): expected a function, got 42',
    );
  });

  test('a non-function fallback is a TypeError, and fn is not called', async () => {
    const { breaker } = setup();
    let called = false;
    await expect(
      breaker.callWithFallback(() => (called = true), 'cached' as never),
    ).rejects.toThrow(
      'CircuitBreaker.callWithFallback(fn, fallback): expected a function, got "cached"',
    );
    expect(called).toBe(false);
  });

  test("passes the value through, and the fallback's own error on", async () => {
    const { breaker } = setup();
    expect(
      await breaker.callWithFallback(
        (n: number) => Promise.resolve(n + 1),
        () => 0,
        1,
      ),
    ).toBe(2);
    await expect(
      breaker.callWithFallback(
        () => Promise.reject(new TypeError()),
        () => Promise.reject(new Error('no cache')),
      ),
    ).rejects.toThrow('no cache');
  });
});
