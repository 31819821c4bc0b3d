/**
 * How the integrations recognise a registry made by any copy of the package (`isBreakerRegistry`),
 * and the error `eachBreaker` gives for anything else.
 */
import { Subscription, of } from 'rxjs';
import { BreakerRegistry, eachBreaker, isBreakerRegistry } from '../../src';

/** Everything a registry has, as another copy of the package would make it. */
function lookalike(): Record<string, unknown> {
  return {
    get: () => undefined,
    names: () => [],
    states$: of({}),
    breakers$: of(),
  };
}

describe('isBreakerRegistry', () => {
  test('a registry, and an object with everything a registry has, are registries', () => {
    expect(isBreakerRegistry(new BreakerRegistry())).toBe(true);
    expect(isBreakerRegistry(lookalike())).toBe(true);
  });

  test.each(['get', 'names', 'states$', 'breakers$'])(
    'an object without %s is not, and asking does not throw',
    (member) => {
      const value = lookalike();
      delete value[member];
      expect(isBreakerRegistry(value)).toBe(false);
      value[member] = 42;
      expect(isBreakerRegistry(value)).toBe(false);
    },
  );

  test('a function carrying every member, null and primitives are not', () => {
    const fn = Object.assign(() => undefined, lookalike());
    expect(isBreakerRegistry(fn)).toBe(false);
    expect(isBreakerRegistry(null)).toBe(false);
    expect(isBreakerRegistry('registry')).toBe(false);
  });
});

describe('eachBreaker', () => {
  test('anything but a breaker or a registry is a TypeError naming the caller and the value', () => {
    const attach = () => Subscription.EMPTY;
    expect(() => eachBreaker(42 as never, attach)).toThrow(
      new TypeError('eachBreaker(target): expected a CircuitBreaker or a BreakerRegistry, got 42'),
    );
    expect(() => eachBreaker({} as never, attach, 'prometheusMetrics(target)')).toThrow(
      'prometheusMetrics(target): expected a CircuitBreaker or a BreakerRegistry, got an object',
    );
  });
});

describe('the records of states$, to the letter', () => {
  test('an entry reads as a read-only, enumerable property', () => {
    const r = new BreakerRegistry();
    r.get('a');
    let record: Readonly<Record<string, string>> = {};
    r.states$.subscribe((s) => (record = s));
    expect(Object.getOwnPropertyDescriptor(record, 'a')).toEqual({
      value: 'closed',
      writable: false,
      enumerable: true,
      configurable: true,
    });
  });

  test('a name deleted is gone from the newest record, own keys included', () => {
    const r = new BreakerRegistry();
    r.get('a');
    r.get('b');
    const records: Array<Readonly<Record<string, string>>> = [];
    r.states$.subscribe((s) => records.push(s));
    r.delete('a');
    const newest = records.at(-1)!;
    expect(Reflect.ownKeys(newest)).toEqual(['b']);
    expect('a' in newest).toBe(false);
    // The old record still has it (names removed since it was made are listed last).
    expect(Reflect.ownKeys(records[0]!)).toEqual(['b', 'a']);
  });

  test('an old record lists only the names it had, however many came and went since', () => {
    const r = new BreakerRegistry();
    r.get('a');
    r.get('b');
    const records: Array<Readonly<Record<string, string>>> = [];
    r.states$.subscribe((s) => records.push(s));
    const old = records[0]!;
    r.get('c'); // added since
    r.delete('b'); // removed since
    r.get('a').forceOpen(); // changed since
    expect(Reflect.ownKeys(old)).toEqual(['a', 'b']); // b, removed since, last
    expect({ ...old }).toEqual({ a: 'closed', b: 'closed' });
    expect({ ...records.at(-1)! }).toEqual({ a: 'forced_open', c: 'closed' });
  });
});
