/**
 * The registry's bound (maxBreakers), its eviction of the least recently used idle breaker, and
 * delete(): what is evicted, what never is, and what happens when nothing can be.
 */
import {
  BreakerRegistry,
  CircuitBreaker,
  permits,
  retries,
  trippers,
  windows,
  type BreakerRegistryOptions,
  type State,
  type StateStore,
} from '../../src';
import { ManualClock } from '../helpers/clock';
import { fail, startCall, succeed } from '../helpers/calls';

function bounded(
  maxBreakers: number,
  extra: BreakerRegistryOptions = {},
  clock = new ManualClock(),
) {
  return new BreakerRegistry({
    defaults: {
      scheduler: clock,
      tripper: trippers.failureStreak(3),
      permit: permits.all(),
      retry: retries.cooldown(1000),
      window: windows.count(10),
    },
    maxBreakers,
    ...extra,
  });
}

/** Whether `breaker` was disposed: its transitions$ completes at once for a late subscriber. */
function disposed(breaker: CircuitBreaker): boolean {
  let completed = false;
  breaker.transitions$.subscribe({ complete: () => (completed = true) }).unsubscribe();
  return completed;
}

function lastStates(registry: BreakerRegistry): Readonly<Record<string, State>> {
  let last: Readonly<Record<string, State>> = {};
  registry.states$.subscribe((s) => (last = s)).unsubscribe();
  return last;
}

/**
 * A store that announces a breaker's own transitions only when told (as a shared store does once
 * it has answered), and can start every breaker in a given state.
 */
function deferredStore(initial?: State) {
  const pending: Array<() => void> = [];
  const store: StateStore = {
    connect(client) {
      let current = initial === undefined ? client.initial : { ...client.initial, state: initial };
      return {
        read: () => current,
        write(next) {
          current = next;
          pending.push(() => client.changed(next, 'local'));
        },
        acquireTrial: () => true,
        releaseTrial: () => undefined,
        close: () => undefined,
      };
    },
  };
  return { store, flush: () => pending.splice(0).forEach((announce) => announce()) };
}

let errors: jest.SpyInstance;
beforeEach(() => {
  errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => errors.mockRestore());

describe('BreakerRegistry maxBreakers', () => {
  test('is an integer > 0 or Infinity, 1000 by default; bad values name the option and the value', () => {
    for (const bad of [0, -1, 1.5]) {
      expect(() => new BreakerRegistry({ maxBreakers: bad })).toThrow(
        new RangeError(
          `BreakerRegistry(options).maxBreakers: expected an integer > 0, got ${String(bad)}`,
        ),
      );
    }
    expect(() => new BreakerRegistry({ maxBreakers: NaN })).toThrow(
      new TypeError('BreakerRegistry(options).maxBreakers: expected an integer > 0, got NaN'),
    );
    expect(() => new BreakerRegistry({ maxBreakers: '5' as never })).toThrow(
      new TypeError('BreakerRegistry(options).maxBreakers: expected an integer > 0, got "5"'),
    );
    expect(() => new BreakerRegistry({ maxBreaker: 5 } as never)).toThrow(
      new TypeError(
        'BreakerRegistry(options): unknown option "maxBreaker" (expected defaults, configs or maxBreakers)',
      ),
    );
    const unbounded = new BreakerRegistry({ maxBreakers: Infinity });
    for (let i = 0; i < 1500; i++) unbounded.get(`n${i}`);
    expect(unbounded.names()).toHaveLength(1500);

    const byDefault = new BreakerRegistry();
    for (let i = 0; i < 1001; i++) byDefault.get(`n${i}`);
    expect(byDefault.names()).toHaveLength(1000);
    expect(byDefault.has('n0')).toBe(false);
    expect(byDefault.has('n1000')).toBe(true);
  });

  test('past the bound, the least recently used (by get) idle breaker is evicted and disposed', () => {
    const r = bounded(3);
    const a = r.get('a');
    const b = r.get('b');
    r.get('c');
    r.get('a'); // a is now used more recently than b and c
    r.get('d');
    expect(r.names()).toEqual(['a', 'c', 'd']);
    expect(r.has('b')).toBe(false);
    expect(disposed(b)).toBe(true);
    expect(disposed(a)).toBe(false);
    expect(lastStates(r)).toEqual({ a: 'closed', c: 'closed', d: 'closed' });
    // The name comes back as a new breaker, and the next one out is c.
    const b2 = r.get('b');
    expect(b2).not.toBe(b);
    expect(r.names()).toEqual(['a', 'd', 'b']);
  });

  test('a flood of one-off names never flushes a breaker that counts failures or is not closed', () => {
    const clock = new ManualClock();
    const r = bounded(6, {}, clock);
    const flaky = r.get('flaky');
    fail(flaky); // closed, one failure in its window
    const streak = r.get('streak');
    fail(streak);
    succeed(streak);
    fail(streak); // closed, failures in its window
    const down = r.get('down');
    fail(down);
    fail(down);
    fail(down); // open
    const probing = r.get('probing');
    fail(probing);
    fail(probing);
    fail(probing);
    clock.advance(1000);
    startCall(r.get('probing')); // half_open, a trial in flight
    const manual = r.get('manual');
    manual.metricsOnly();
    expect([flaky, streak, down, probing, manual].map((b) => b.state)).toEqual([
      'closed',
      'closed',
      'open',
      'half_open',
      'metrics_only',
    ]);
    for (let i = 0; i < 3000; i++) r.get(`one-off-${i}`);
    expect(r.names()).toEqual(['flaky', 'streak', 'down', 'probing', 'manual', 'one-off-2999']);
    for (const b of [flaky, streak, down, probing, manual]) expect(disposed(b)).toBe(false);
    expect(errors).not.toHaveBeenCalled();
  });

  test('every manual state is kept, and an idle breaker becomes evictable again once it is reset', () => {
    const r = bounded(3);
    r.get('off').disable();
    r.get('forced').forceOpen();
    const watched = r.get('watched');
    fail(watched);
    expect(r.get('x').name).toBe('x'); // nothing evictable: not kept
    expect(r.has('x')).toBe(false);
    expect(r.names()).toEqual(['off', 'forced', 'watched']);
    watched.forceOpen();
    r.get('x');
    expect(r.has('x')).toBe(false);
    watched.reset(); // back to closed: window and streak cleared, idle
    r.get('y');
    expect(r.names()).toEqual(['off', 'forced', 'y']);
    expect(disposed(watched)).toBe(true);
  });

  test('a failure that left a time window no longer protects a breaker', () => {
    const clock = new ManualClock();
    const r = bounded(1, { defaults: { scheduler: clock, window: windows.time(1000) } }, clock);
    const old = r.get('old');
    fail(old);
    succeed(old); // streak back to 0, one failure still in the window
    r.get('new');
    expect(r.has('new')).toBe(false);
    clock.advance(2000); // the failure's bucket is out of the window
    r.get('new');
    expect(r.has('new')).toBe(true);
    expect(r.has('old')).toBe(false);
  });

  test('a failure streak protects a breaker even when its window no longer holds the failures', () => {
    const clock = new ManualClock();
    const r = bounded(
      1,
      {
        defaults: {
          scheduler: clock,
          window: windows.time(1000),
          tripper: trippers.failureStreak(5),
        },
      },
      clock,
    );
    const old = r.get('old');
    fail(old);
    clock.advance(2000);
    expect(old.info().metrics.failureCount).toBe(0);
    expect(old.info().consecutiveFailures).toBe(1);
    r.get('new');
    expect(r.has('old')).toBe(true);
    expect(r.has('new')).toBe(false);
  });

  test('names in configs are never evicted and do not count against the bound', () => {
    const r = bounded(1, {
      configs: { payments: { tripper: trippers.failureStreak(1) }, users: {} },
    });
    const payments = r.get('payments');
    const users = r.get('users');
    r.get('a');
    r.get('b');
    r.get('c');
    expect(r.names()).toEqual(['payments', 'users', 'c']);
    expect(r.get('payments')).toBe(payments);
    expect(r.get('users')).toBe(users);
    expect(disposed(users)).toBe(false);
  });

  test('when nothing is evictable, get returns a breaker it does not keep, reported once until there is room', () => {
    const r = bounded(2);
    fail(r.get('a'));
    fail(r.get('b'));
    const states: Array<Readonly<Record<string, State>>> = [];
    r.states$.subscribe((s) => states.push(s));
    const x = r.get('x');
    const x2 = r.get('x');
    expect(x).toBeInstanceOf(CircuitBreaker);
    expect(x.name).toBe('x');
    expect(x2).not.toBe(x);
    expect(r.has('x')).toBe(false);
    expect(r.names()).toEqual(['a', 'b']);
    expect(states).toHaveLength(1); // no emission for a breaker it does not keep
    // It still judges calls, alone: its own window, its own tripper.
    expect(x.state).toBe('closed');
    fail(x);
    fail(x);
    fail(x);
    expect(x.state).toBe('open');
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![0]).toBe(
      'rxjs-fluxgate: BreakerRegistry holds maxBreakers (2) breakers and none of them is idle ' +
        '(closed, with no failure counted), so "x" gets a breaker it does not keep (reported ' +
        'once until the registry has room). Raise maxBreakers, name long-lived breakers in ' +
        'configs, or delete() names no longer used.',
    );
    r.get('y');
    expect(errors).toHaveBeenCalledTimes(1);

    r.delete('a');
    expect(r.get('y')).toBe(r.get('y'));
    expect(r.names()).toEqual(['b', 'y']);
    r.get('b').forceOpen();
    fail(r.get('y'));
    r.get('z'); // full again: reported again
    expect(errors).toHaveBeenCalledTimes(2);
  });

  test('one creation looks at a bounded number of breakers, however many are busy', () => {
    const n = 2000;
    const r = bounded(n);
    for (let i = 0; i < n; i++) fail(r.get(`busy-${i}`));
    const info = jest.spyOn(CircuitBreaker.prototype, 'info');
    try {
      r.get('one-more');
      expect(r.has('one-more')).toBe(false);
      expect(info.mock.calls.length).toBeLessThanOrEqual(16);
      info.mockClear();
      // Busy breakers it passed over went to the back: the next creation looks at others.
      const before = new Set(r.names());
      r.get('another');
      expect(info.mock.calls.length).toBeLessThanOrEqual(16);
      expect(new Set(r.names())).toEqual(before);
    } finally {
      info.mockRestore();
    }
  });

  test('a get on an existing name touches no other breaker', () => {
    const r = bounded(5000);
    for (let i = 0; i < 5000; i++) r.get(`n${i}`);
    const info = jest.spyOn(CircuitBreaker.prototype, 'info');
    const state = jest.spyOn(CircuitBreaker.prototype, 'state', 'get');
    try {
      for (let i = 0; i < 100; i++) r.get(`n${i * 7}`);
      expect(info).not.toHaveBeenCalled();
      expect(state).not.toHaveBeenCalled();
    } finally {
      info.mockRestore();
      state.mockRestore();
    }
  });
});

describe('BreakerRegistry eviction with a store that announces late', () => {
  test('a breaker that moved but is not announced yet is not idle', () => {
    const { store, flush } = deferredStore();
    const r = bounded(2, { defaults: { store } });
    const a = r.get('a');
    r.get('b');
    a.forceOpen(); // forced open in the store (window and streak empty), not announced yet
    expect(a.state).toBe('forced_open');
    expect(lastStates(r)).toEqual({ a: 'closed', b: 'closed' });
    r.get('c');
    expect(r.names()).toEqual(['a', 'c']);
    flush();
    expect(lastStates(r)).toEqual({ a: 'forced_open', c: 'closed' });
  });

  test('a breaker that starts in another state than closed is never evicted', () => {
    const { store } = deferredStore('forced_open');
    const r = bounded(1, { defaults: { store } });
    r.get('a');
    expect(r.get('a').state).toBe('forced_open');
    r.get('b');
    expect(r.names()).toEqual(['a']);
    expect(errors).toHaveBeenCalledTimes(1);
  });
});

describe('BreakerRegistry.delete and dispose', () => {
  test('delete removes and disposes the breaker, configs names included; a new one comes next', () => {
    const r = bounded(10, { configs: { payments: {} } });
    const payments = r.get('payments');
    const a = r.get('a');
    const seen: Array<Readonly<Record<string, State>>> = [];
    r.states$.subscribe((s) => seen.push(s));
    expect(r.delete('a')).toBe(true);
    expect(r.delete('a')).toBe(false);
    expect(r.delete('never')).toBe(false);
    expect(r.delete('payments')).toBe(true);
    expect(disposed(a)).toBe(true);
    expect(disposed(payments)).toBe(true);
    expect(r.names()).toEqual([]);
    expect(seen).toEqual([{ payments: 'closed', a: 'closed' }, { payments: 'closed' }, {}]);
    const again = r.get('payments');
    expect(again).not.toBe(payments);
    expect(seen.at(-1)).toEqual({ payments: 'closed' });
    // The deleted breaker's transitions no longer reach the registry.
    const transitions: string[] = [];
    r.transitions$.subscribe((t) => transitions.push(t.name));
    a.forceOpen();
    again.forceOpen();
    expect(transitions).toEqual(['payments']);
    expect(seen.at(-1)).toEqual({ payments: 'forced_open' });
  });

  test('a breaker its owner disposes leaves the registry', () => {
    const r = bounded(10);
    const a = r.get('a');
    r.get('b');
    const seen: Array<Readonly<Record<string, State>>> = [];
    r.states$.subscribe((s) => seen.push(s));
    a.dispose();
    expect(r.has('a')).toBe(false);
    expect(r.names()).toEqual(['b']);
    expect(seen.at(-1)).toEqual({ b: 'closed' });
    expect(r.get('a')).not.toBe(a);
  });

  test('a subscriber that makes the same name while an evicted breaker is disposed gets one breaker', () => {
    const r = bounded(1);
    const first = r.get('first');
    let made: CircuitBreaker | undefined;
    first.transitions$.subscribe({ complete: () => (made = r.get('second')) });
    const second = r.get('second');
    expect(made).toBe(second);
    expect(r.names()).toEqual(['second']);
  });
});
