import fc from 'fast-check';
import { windows, type WindowStore } from '../../src';

interface Call {
  at: number;
  failure: boolean;
  duration: number;
}

function recount(calls: Call[], thresholds: number[]) {
  return {
    totalCount: calls.length,
    failureCount: calls.filter((c) => c.failure).length,
    totalDuration: calls.reduce((s, c) => s + c.duration, 0),
    slowCounts: thresholds.map((t) => calls.filter((c) => !c.failure && c.duration >= t).length),
  };
}

function totals(store: WindowStore, now: number) {
  const t = store.read(now);
  return {
    totalCount: t.totalCount,
    failureCount: t.failureCount,
    totalDuration: t.totalDuration,
    slowCounts: Array.from(t.slowCounts),
  };
}

describe('windows.count(size)', () => {
  test('holds the last size calls and forgets older ones', () => {
    const store = windows.count(3).create([100]);
    store.record(0, true, 10);
    store.record(0, false, 150);
    store.record(0, false, 50);
    expect(totals(store, 0)).toEqual({
      totalCount: 3,
      failureCount: 1,
      totalDuration: 210,
      slowCounts: [1],
    });
    store.record(0, false, 200); // evicts the failure
    expect(totals(store, 0)).toEqual({
      totalCount: 3,
      failureCount: 0,
      totalDuration: 400,
      slowCounts: [2],
    });
    store.clear();
    expect(totals(store, 0)).toEqual({
      totalCount: 0,
      failureCount: 0,
      totalDuration: 0,
      slowCounts: [0],
    });
  });

  test('one window description gives each breaker its own store', () => {
    const shared = windows.count(10);
    const a = shared.create([]);
    const b = shared.create([]);
    a.record(0, true, 1);
    expect(b.read(0).totalCount).toBe(0);
  });

  test('its totals always equal a recount of the last size calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.record({ failure: fc.boolean(), duration: fc.integer({ min: 0, max: 1000 }) }),
          {
            maxLength: 80,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 3 }),
        (size, calls, thresholds) => {
          const store = windows.count(size).create(thresholds);
          calls.forEach((c) => store.record(0, c.failure, c.duration));
          const held = calls.slice(-size).map((c) => ({ ...c, at: 0 }));
          expect(totals(store, 0)).toEqual(recount(held, thresholds));
        },
      ),
    );
  });
});

describe('windows.time(duration, { bucket })', () => {
  test('a call stops counting once it is duration ms old, with no call since', () => {
    const store = windows.time(10_000).create([]);
    store.record(500, true, 5); // bucket [0, 1000)
    expect(store.read(9_999).totalCount).toBe(1);
    expect(store.read(10_000).totalCount).toBe(0);
  });

  test('buckets roll one at a time, and a long silence clears everything', () => {
    const store = windows.time(3000, { bucket: 1000 }).create([]);
    store.record(0, false, 1);
    store.record(1000, false, 1);
    store.record(2000, true, 1);
    expect(totals(store, 2999).totalCount).toBe(3);
    expect(totals(store, 3000)).toMatchObject({ totalCount: 2, failureCount: 1 });
    expect(totals(store, 4000)).toMatchObject({ totalCount: 1, failureCount: 1 });
    expect(totals(store, 1e9)).toMatchObject({ totalCount: 0, failureCount: 0 });
    store.record(1e9, false, 7);
    expect(totals(store, 1e9)).toMatchObject({ totalCount: 1, totalDuration: 7 });
  });

  test('the default bucket is 1 s, or the whole duration when shorter', () => {
    const short = windows.time(400).create([]);
    short.record(0, false, 1);
    expect(short.read(399).totalCount).toBe(1);
    expect(short.read(400).totalCount).toBe(0);
  });

  test('a clock that goes backwards records into the newest bucket', () => {
    const store = windows.time(2000).create([]);
    store.record(5000, false, 1);
    store.record(4000, false, 1);
    expect(store.read(5000).totalCount).toBe(2);
    expect(store.read(6999).totalCount).toBe(2);
    expect(store.read(7000).totalCount).toBe(0);
  });

  test('its totals always equal a recount of the calls whose bucket is among the last duration / bucket', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 3000 }),
            failure: fc.boolean(),
            duration: fc.integer({ min: 0, max: 1000 }),
          }),
          { maxLength: 60 },
        ),
        fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 2 }),
        (buckets, bucket, steps, thresholds) => {
          const duration = buckets * bucket;
          const store = windows.time(duration, { bucket }).create(thresholds);
          const calls: Call[] = [];
          let now = 0;
          for (const s of steps) {
            now += s.gap;
            store.record(now, s.failure, s.duration);
            calls.push({ at: now, failure: s.failure, duration: s.duration });
            const head = Math.floor(now / bucket);
            const held = calls.filter((c) => Math.floor(c.at / bucket) > head - buckets);
            expect(totals(store, now)).toEqual(recount(held, thresholds));
            // No call is ever counted once it is duration ms old.
            expect(held.every((c) => now - c.at < duration)).toBe(true);
          }
        },
      ),
    );
  });
});
