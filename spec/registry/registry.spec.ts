import { Subscription } from 'rxjs';
import {
  BreakerRegistry,
  CircuitBreaker,
  eachBreaker,
  isBreakerRegistry,
  isCircuitBreaker,
  permits,
  retries,
  trippers,
  windows,
  type State,
  type Transition,
} from '../../src';
import { ManualClock } from '../helpers/clock';
import { fail } from '../helpers/calls';

function registry(clock = new ManualClock()) {
  return new BreakerRegistry({
    defaults: {
      scheduler: clock,
      tripper: trippers.failureStreak(2),
      permit: permits.all(),
      window: windows.count(10),
    },
    configs: { payments: { tripper: trippers.failureStreak(1), retry: retries.cooldown(5) } },
  });
}

describe('BreakerRegistry', () => {
  test('makes a breaker on first use, named by its key, and returns the same one afterwards', () => {
    const r = registry();
    expect(r.has('users')).toBe(false);
    const users = r.get('users');
    expect(users).toBeInstanceOf(CircuitBreaker);
    expect(users.name).toBe('users');
    expect(r.get('users')).toBe(users);
    expect(r.has('users')).toBe(true);
    r.get('payments');
    expect(r.names()).toEqual(['users', 'payments']);
  });

  test('merges the per-name config over the defaults, field by field', () => {
    const r = registry();
    fail(r.get('payments')); // failureStreak(1) from its own config
    fail(r.get('users')); // failureStreak(2) from the defaults
    expect(r.get('payments').state).toBe('open');
    expect(r.get('users').state).toBe('closed');
  });

  test('one window description in the defaults still gives each breaker its own window', () => {
    const r = registry();
    fail(r.get('a'));
    expect(r.get('b').info().metrics.totalCount).toBe(0);
  });

  test('states$ replays the current record, then emits on every creation and every change', () => {
    const r = registry();
    r.get('users');
    const seen: Array<Readonly<Record<string, State>>> = [];
    r.states$.subscribe((s) => seen.push(s));
    r.get('payments');
    fail(r.get('payments'));
    r.get('users').forceOpen();
    expect(seen).toEqual([
      { users: 'closed' },
      { users: 'closed', payments: 'closed' },
      { users: 'closed', payments: 'open' },
      { users: 'forced_open', payments: 'open' },
    ]);
  });

  test('a subscriber that comes after changes nobody watched gets the current record', () => {
    const r = registry();
    fail(r.get('payments'));
    r.get('users').disable();
    const seen: Array<Readonly<Record<string, State>>> = [];
    r.states$.subscribe((s) => seen.push(s));
    const again: Array<Readonly<Record<string, State>>> = [];
    r.states$.subscribe((s) => again.push(s));
    expect(seen).toEqual([{ payments: 'open', users: 'disabled' }]);
    expect(again).toEqual(seen);
  });

  test('transitions$ merges the transitions of all breakers, including ones made later', () => {
    const r = registry();
    const seen: Transition[] = [];
    r.transitions$.subscribe((t) => seen.push(t));
    fail(r.get('payments'));
    r.get('late').disable();
    expect(seen.map((t) => `${t.name}: ${t.from}->${t.to}`)).toEqual([
      'payments: closed->open',
      'late: closed->disabled',
    ]);
  });

  test('any string is a name, __proto__ included', () => {
    const r = registry();
    r.get('__proto__');
    let last: Readonly<Record<string, State>> = {};
    r.states$.subscribe((s) => (last = s));
    expect(Object.keys(last)).toEqual(['__proto__']);
    expect(r.names()).toEqual(['__proto__']);
  });

  test('a name in configs that holds a name field still takes the key as its name', () => {
    const r = new BreakerRegistry({ configs: { real: { name: 'other' } } });
    expect(r.get('real').name).toBe('real');
  });
});

describe('eachBreaker, isCircuitBreaker, isBreakerRegistry', () => {
  test('attaches to one breaker, or to every breaker of a registry, present and future, until unsubscribed', () => {
    const r = registry();
    r.get('a');
    const attached: string[] = [];
    const ended: string[] = [];
    const sub = eachBreaker(r, (b) => {
      attached.push(b.name);
      return new Subscription(() => ended.push(b.name));
    });
    r.get('b');
    r.get('a');
    expect(attached).toEqual(['a', 'b']);
    sub.unsubscribe();
    r.get('c');
    expect(attached).toEqual(['a', 'b']);
    expect(ended).toEqual(['a', 'b']);

    const single = new CircuitBreaker({ name: 'solo' });
    eachBreaker(single, (b) => (attached.push(b.name), Subscription.EMPTY));
    expect(attached).toEqual(['a', 'b', 'solo']);
  });

  test('names the caller when the target is neither', () => {
    expect(() => eachBreaker({} as never, () => Subscription.EMPTY, 'metrics(target)')).toThrow(
      new TypeError(
        'metrics(target): expected a CircuitBreaker or a BreakerRegistry, got an object',
      ),
    );
  });

  test('the guards tell breakers and registries apart', () => {
    const b = new CircuitBreaker();
    const r = new BreakerRegistry();
    expect([b, r, {}, null, 'x'].map(isCircuitBreaker)).toEqual([true, false, false, false, false]);
    expect([b, r, {}, null, 'x'].map(isBreakerRegistry)).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
  });
});
