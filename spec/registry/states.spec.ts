/**
 * BreakerRegistry.states$: replay, order, identity and immutability of the records, the cost of a
 * transition or a creation (counted as memory the records keep, never timed), and eachBreaker's
 * cost per new breaker.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Subscription, take } from 'rxjs';
import { BreakerRegistry, CircuitBreaker, eachBreaker, trippers, type State } from '../../src';
import { StateLog } from '../../src/registry/state-record';
import { ManualClock } from '../helpers/clock';
import { fail } from '../helpers/calls';

type States = Readonly<Record<string, State>>;

function registry(maxBreakers = Infinity) {
  return new BreakerRegistry({
    defaults: { scheduler: new ManualClock(), tripper: trippers.failureStreak(1) },
    maxBreakers,
  });
}

describe('states$ records', () => {
  test('two subscribers with no change between them get the same record; each change a new one', () => {
    const r = registry();
    r.get('a');
    const first: States[] = [];
    const second: States[] = [];
    r.states$.subscribe((s) => first.push(s));
    r.states$.subscribe((s) => second.push(s));
    expect(second[0]).toBe(first[0]);
    r.get('b');
    r.get('a').forceOpen();
    r.get('a').forceOpen(); // a command to the current state: no change, no emission
    expect(first).toHaveLength(3);
    expect(new Set(first).size).toBe(3);
    expect(second).toEqual(first);
    for (let i = 0; i < 3; i++) expect(second[i]).toBe(first[i]);
  });

  test('a kept record keeps describing the states at its emission', () => {
    const r = registry();
    r.get('a');
    r.get('b');
    const seen: States[] = [];
    r.states$.subscribe((s) => seen.push(s));
    r.get('a').forceOpen();
    r.delete('b');
    r.get('c');
    fail(r.get('c'));
    r.get('b');
    r.get('a').reset();
    for (let i = 0; i < 200; i++) {
      // Many changes after the records above: reading them walks a long way back.
      r.get('c').disable();
      r.get('c').reset();
    }
    expect(seen.slice(0, 7)).toEqual([
      { a: 'closed', b: 'closed' },
      { a: 'forced_open', b: 'closed' },
      { a: 'forced_open' },
      { a: 'forced_open', c: 'closed' },
      { a: 'forced_open', c: 'open' },
      { a: 'forced_open', c: 'open', b: 'closed' },
      { a: 'closed', c: 'open', b: 'closed' },
    ]);
    // Single reads of old records, without enumerating them first.
    const old = seen[1]!;
    expect(old.a).toBe('forced_open');
    expect(old.b).toBe('closed');
    expect(old.c).toBeUndefined();
    expect('b' in old).toBe(true);
    expect('c' in old).toBe(false);
    expect(Object.keys(seen[0]!)).toEqual(['a', 'b']);
    expect(seen.at(-1)).toEqual({ a: 'closed', c: 'closed', b: 'closed' });
  });

  test('records are read-only, and still behave as plain objects for reading', () => {
    'use strict';
    const r = registry();
    r.get('a');
    r.get('__proto__');
    let record: States = {};
    r.states$.subscribe((s) => (record = s));
    const writable = record as Record<string, State>;
    expect(() => (writable.a = 'open')).toThrow(TypeError);
    expect(() => (writable.z = 'open')).toThrow(TypeError);
    expect(() => delete writable.a).toThrow(TypeError);
    expect(() => Object.defineProperty(record, 'z', { value: 'open' })).toThrow(TypeError);
    expect(() => Object.setPrototypeOf(record, null)).toThrow(TypeError);
    expect(record.a).toBe('closed');
    expect(Object.keys(record)).toEqual(['a', '__proto__']);
    expect({ ...record }).toEqual({ a: 'closed', ['__proto__']: 'closed' });
    expect(JSON.parse(JSON.stringify(record))).toEqual({ a: 'closed', ['__proto__']: 'closed' });
    expect(Object.prototype.hasOwnProperty.call(record, 'a')).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(record, 'toString')).toBe(false);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Symbol.iterator in record).toBe(false);
    expect('toString' in record).toBe(true);
    expect(String(record)).toBe('[object Object]');
    expect(Object.entries(record)).toEqual([
      ['a', 'closed'],
      ['__proto__', 'closed'],
    ]);
  });

  test('Object.freeze works on a record, which then keeps its contents', () => {
    const r = registry();
    r.get('a');
    let record: States = {};
    r.states$.subscribe((s) => (record = s));
    const frozen = record;
    expect(Object.freeze(frozen)).toBe(frozen);
    expect(Object.freeze(frozen)).toBe(frozen); // again: nothing changes
    expect(Object.isFrozen(frozen)).toBe(true);
    expect('a' in frozen).toBe(true);
    expect(Object.keys(frozen)).toEqual(['a']);
    r.get('a').forceOpen();
    r.get('b');
    expect(frozen).toEqual({ a: 'closed' });
    expect(frozen.a).toBe('closed');
    expect(record).toEqual({ a: 'forced_open', b: 'closed' });
  });

  test('a breaker made inside a subscriber reaches every subscriber, in the same order, and later ones', () => {
    const r = registry();
    r.get('a');
    const before: States[] = [];
    r.states$.subscribe((s) => before.push(s));
    const maker: States[] = [];
    r.states$.subscribe((s) => {
      maker.push(s);
      if (s.a === 'forced_open' && !('late' in s)) r.get('late');
    });
    const after: States[] = [];
    r.states$.subscribe((s) => after.push(s));
    r.get('a').forceOpen();
    const expected = [{ a: 'closed' }, { a: 'forced_open' }, { a: 'forced_open', late: 'closed' }];
    expect(before).toEqual(expected);
    expect(maker).toEqual(expected);
    expect(after).toEqual(expected);
    const later: States[] = [];
    r.states$.subscribe((s) => later.push(s));
    expect(later).toEqual([{ a: 'forced_open', late: 'closed' }]);

    // A change made while a record is being delivered comes after it, to everyone.
    const order: string[] = [];
    r.states$.subscribe((s) => {
      order.push(`1:${s.late}`);
      if (s.late === 'closed') r.get('late').forceOpen();
    });
    r.states$.subscribe((s) => order.push(`2:${s.late}`));
    order.length = 0;
    r.get('late').disable();
    r.get('late').reset();
    expect(order).toEqual([
      '1:disabled',
      '2:disabled',
      '1:closed',
      '2:closed',
      '1:forced_open',
      '2:forced_open',
    ]);
    expect(r.get('late').state).toBe('forced_open');
  });

  test('a subscriber that comes while a record is being delivered gets it, then what follows', () => {
    const r = registry();
    r.get('a');
    const late: States[] = [];
    let subscribed = false;
    r.states$.subscribe((s) => {
      if (s.a !== 'forced_open' || subscribed) return;
      subscribed = true;
      r.get('a').disable(); // delivered after the record being delivered now
      r.states$.subscribe((x) => late.push(x));
    });
    r.get('a').forceOpen();
    expect(late).toEqual([{ a: 'forced_open' }, { a: 'disabled' }]);
  });

  test('a subscriber that makes a breaker on its first record, with nobody else watching, sees it', () => {
    const r = registry();
    const seen: States[] = [];
    r.states$.subscribe((s) => {
      seen.push(s);
      if (!('mine' in s)) r.get('mine');
    });
    expect(seen).toEqual([{}, { mine: 'closed' }]);
  });

  test('50 transitions in a registry of 5,000 breakers, records all kept, keep almost no memory', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const r = registry();
    for (let i = 0; i < 5000; i++) r.get(`n${i}`);
    const kept: States[] = [];
    const subscription = r.states$.subscribe((s) => kept.push(s));
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 50; i++) r.get(`n${i * 3}`).forceOpen();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // A copy per emission would keep 50 records of 5,000 entries (several MB); versions keep 50
    // small objects. The margin is wide on purpose.
    expect(grown).toBeLessThan(1_000_000);
    expect(kept).toHaveLength(51);
    expect(kept[0]!.n0).toBe('closed');
    expect(kept[50]!.n0).toBe('forced_open');
    expect(kept[25]!.n75).toBe('closed');
    expect(kept[26]!.n75).toBe('forced_open');
    subscription.unsubscribe();
  });
});

describe('StateLog', () => {
  test('setting the state a name already has is no change: the same record', () => {
    const log = new StateLog();
    log.set('a', 'closed');
    const first = log.record();
    log.set('a', 'closed');
    log.set('b', undefined);
    expect(log.record()).toBe(first);
    log.set('a', 'open');
    expect(log.record()).not.toBe(first);
  });

  test('a change with records held never walks the entries', () => {
    const log = new StateLog();
    for (let i = 0; i < 1000; i++) log.set(`n${i}`, 'closed');
    const records = [log.record()];
    const iterate = [
      jest.spyOn(Map.prototype, 'keys'),
      jest.spyOn(Map.prototype, 'values'),
      jest.spyOn(Map.prototype, 'entries'),
      jest.spyOn(Map.prototype, 'forEach'),
      jest.spyOn(Object, 'keys'),
      jest.spyOn(Object, 'assign'),
    ];
    const read: Array<State | undefined> = [];
    try {
      for (let i = 0; i < 100; i++) {
        log.set(`n${i}`, 'open');
        log.set(`new${i}`, 'closed');
        records.push(log.record());
        read.push(records.at(-1)![`n${i}`]);
      }
    } finally {
      for (const spy of iterate) spy.mockRestore();
    }
    for (const spy of iterate) expect(spy).not.toHaveBeenCalled();
    expect(read).toEqual(Array(100).fill('open'));
    expect(records[0]!.n5).toBe('closed');
    expect(records[0]!.new5).toBeUndefined();
    expect(Object.keys(records[0]!)).toHaveLength(1000);
    expect(Object.keys(records[100]!)).toHaveLength(1100);
  });
});

describe('eachBreaker on a registry', () => {
  test('attaching a new breaker does not look at the breakers already there', () => {
    const r = registry();
    for (let i = 0; i < 5000; i++) r.get(`n${i}`);
    const attached: string[] = [];
    const sub = eachBreaker(r, (b) => (attached.push(b.name), Subscription.EMPTY));
    expect(attached).toHaveLength(5000);
    const keys = jest.spyOn(Object, 'keys');
    try {
      r.get('new');
      const looked = keys.mock.results.reduce((n, res) => n + (res.value as unknown[]).length, 0);
      expect(looked).toBeLessThan(100);
      expect(attached.at(-1)).toBe('new');
    } finally {
      keys.mockRestore();
    }
    sub.unsubscribe();
  });

  test('a breaker deleted, evicted or disposed is detached at once; a new one of its name is attached', () => {
    const r = registry(2);
    const ended: string[] = [];
    const attached: CircuitBreaker[] = [];
    eachBreaker(r, (b) => {
      attached.push(b);
      return new Subscription(() => ended.push(b.name));
    });
    const a = r.get('a');
    r.get('b');
    r.delete('a');
    expect(ended).toEqual(['a']);
    r.get('c');
    r.get('d'); // evicts b
    expect(ended).toEqual(['a', 'b']);
    r.get('c').dispose();
    expect(ended).toEqual(['a', 'b', 'c']);
    const a2 = r.get('a');
    expect(a2).not.toBe(a);
    expect(attached.map((b) => b.name)).toEqual(['a', 'b', 'c', 'd', 'a']);

    const solo = new CircuitBreaker({ name: 'solo' });
    const soloEnded: string[] = [];
    eachBreaker(solo, (b) => new Subscription(() => soloEnded.push(b.name)));
    solo.dispose();
    expect(soloEnded).toEqual(['solo']);
  });
});

describe('states$ and breakers$ subscribers that leave early', () => {
  test('take(1) on states$ gets the current record and leaves nothing subscribed', () => {
    const r = registry();
    r.get('a');
    const seen: States[] = [];
    r.states$.pipe(take(1)).subscribe((s) => seen.push(s));
    r.get('b');
    expect(seen).toEqual([{ a: 'closed' }]);
  });

  test('breakers$ replays the breakers held, skips one deleted meanwhile, and stops when left', () => {
    const r = registry();
    r.get('a');
    r.get('b');
    r.get('c');
    const seen: string[] = [];
    r.breakers$.subscribe((b) => {
      seen.push(b.name);
      if (b.name === 'a') r.delete('b');
    });
    expect(seen).toEqual(['a', 'c']);
    const two: string[] = [];
    r.breakers$.pipe(take(1)).subscribe((b) => two.push(b.name));
    r.get('d');
    expect(two).toEqual(['a']);
    expect(seen).toEqual(['a', 'c', 'd']);
  });

  test('eachBreaker unsubscribed from inside attach ends what it attached and attaches nothing more', () => {
    const r = registry();
    const attached: string[] = [];
    const ended: string[] = [];
    const sub: Subscription = eachBreaker(r, (b) => {
      attached.push(b.name);
      if (b.name === 'b') sub.unsubscribe();
      return new Subscription(() => ended.push(b.name));
    });
    r.get('a');
    r.get('b');
    r.get('c');
    expect(attached).toEqual(['a', 'b']);
    expect(ended).toEqual(['a', 'b']);
  });
});
