/**
 * rxjs-fluxgate/opentelemetry against the real @opentelemetry/sdk-metrics: breakers that go,
 * invalid durations, remote transitions, and the work one call costs.
 */
import type { Attributes } from '@opentelemetry/api';
import type { CollectionResult, Histogram } from '@opentelemetry/sdk-metrics';
import { BreakerRegistry, CircuitBreaker, permits, retries, trippers } from 'rxjs-fluxgate';
import { openTelemetryMetrics } from '../../src/opentelemetry';
import { adoptingStore } from '../helpers/adopting-store';
import { callLasting } from '../helpers/calls';
import { ManualClock } from '../helpers/clock';
import { unhandledErrors } from '../helpers/unhandled';
import { NAME, OUTCOME, PREVIOUS, STATE, point, points, setup } from './helpers';

/** The breaker names present in any instrument of a collection. */
function namesIn(result: CollectionResult): Set<unknown> {
  const names = new Set<unknown>();
  for (const scope of result.resourceMetrics.scopeMetrics) {
    for (const m of scope.metrics) for (const d of m.dataPoints) names.add(d.attributes[NAME]);
  }
  return names;
}

describe('openTelemetryMetrics: breakers that go', () => {
  test('a breaker deleted or evicted stops being recorded and leaves the export (delta temporality)', async () => {
    const { reader, meter } = setup('delta');
    const clock = new ManualClock();
    const breakers = new BreakerRegistry({
      defaults: { scheduler: clock, tripper: trippers.failureStreak(2), permit: permits.all() },
      maxBreakers: 2,
    });
    openTelemetryMetrics(breakers, { meter });
    const a = breakers.get('a');
    const b = breakers.get('b');
    callLasting(a, clock, 10);
    callLasting(b, clock, 10, new Error('x')); // b counts a failure: never evicted
    let r = await reader.collect();
    expect(namesIn(r)).toEqual(new Set(['a', 'b']));

    breakers.get('c'); // evicts a
    callLasting(a, clock, 10); // whoever still holds a: nothing recorded
    a.forceOpen();
    r = await reader.collect();
    expect(namesIn(r)).toEqual(new Set(['b', 'c']));

    breakers.delete('b');
    r = await reader.collect();
    expect(namesIn(r)).toEqual(new Set(['c']));
    expect(points(r, 'circuit_breaker.state')).toHaveLength(6);
  });

  test('a disposed breaker leaves the state gauge callback (cumulative temporality)', async () => {
    const { reader, meter } = setup();
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ name: 'gone', scheduler: clock });
    const other = new CircuitBreaker({ name: 'stays', scheduler: clock });
    openTelemetryMetrics(breaker, { meter });
    openTelemetryMetrics(other, { meter });
    breaker.dispose();
    callLasting(breaker, clock, 10);
    const r = await reader.collect();
    expect(namesIn(r)).toEqual(new Set(['stays']));
  });
});

describe('openTelemetryMetrics: nothing thrown into RxJS', () => {
  const unhandled = unhandledErrors();

  test('an infinite duration is not recorded and reported once; the calls count', async () => {
    const { reader, meter } = setup();
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ name: 'odd', scheduler: clock, permit: permits.all() });
    const reported: unknown[] = [];
    openTelemetryMetrics(breaker, { meter, onError: (e) => reported.push(e) });
    callLasting(breaker, clock, 10);
    // The core never measures a non-finite duration (its clock is guarded); a breaker from a
    // broken copy could still report one, so it is made here through the call protocol (a start
    // of -Infinity: an infinite duration; a NaN start is a call the core did not time).
    for (const startedAt of [-Infinity, -Infinity, -Infinity]) {
      breaker._success(breaker._acquire() as number, startedAt);
    }
    const r = await reader.collect();
    expect(unhandled).toEqual([]);
    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toMatch(/"odd" reported a success lasting Infinity ms/);
    expect(point(r, 'circuit_breaker.calls', { [NAME]: 'odd', [OUTCOME]: 'success' })).toBe(4);
    const histogram = point<Histogram>(r, 'circuit_breaker.call.duration', {
      [NAME]: 'odd',
      [OUTCOME]: 'success',
    });
    expect(histogram?.count).toBe(1);
    expect(histogram?.sum).toBeCloseTo(0.01, 10);
  });

  test('an instrument that throws is reported to console.error once; the state gauge keeps the others', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { reader, meter } = setup();
      const clock = new ManualClock();
      const breaker = new CircuitBreaker({ name: 'w', scheduler: clock });
      const counter = meter.createCounter('circuit_breaker.calls');
      jest.spyOn(counter, 'add').mockImplementation(() => {
        throw new Error('broken instrument');
      });
      jest.spyOn(meter, 'createCounter').mockReturnValue(counter);
      openTelemetryMetrics(breaker, { meter });
      callLasting(breaker, clock, 10);
      callLasting(breaker, clock, 10);
      breaker.forceOpen();
      const r = await reader.collect();
      expect(unhandled).toEqual([]);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0]![1])).toContain('broken instrument');
      expect(point(r, 'circuit_breaker.state', { [NAME]: 'w', [STATE]: 'forced_open' })).toBe(1);
    } finally {
      errors.mockRestore();
    }
  });

  test('a call records with attribute sets made when the breaker was attached, never per call', async () => {
    const { reader, meter } = setup();
    const clock = new ManualClock();
    const add = jest.fn<void, [number, Attributes | undefined]>();
    const real = meter.createCounter.bind(meter);
    jest.spyOn(meter, 'createCounter').mockImplementation((name, options) => {
      const counter = real(name, options);
      const original = counter.add.bind(counter);
      counter.add = (n, attributes) => {
        if (name === 'circuit_breaker.calls') add(n, attributes);
        original(n, attributes);
      };
      return counter;
    });
    const breaker = new CircuitBreaker({ name: 'hot', scheduler: clock });
    openTelemetryMetrics(breaker, { meter });
    for (let i = 0; i < 100; i++) callLasting(breaker, clock, 10);
    expect(add).toHaveBeenCalledTimes(100);
    const sets = new Set(add.mock.calls.map(([, attributes]) => attributes));
    expect(sets.size).toBe(1);
    const r = await reader.collect();
    expect(point(r, 'circuit_breaker.calls', { [NAME]: 'hot', [OUTCOME]: 'success' })).toBe(100);
  });
});

describe('openTelemetryMetrics: remote transitions', () => {
  test('the state gauge follows them; the transition counter counts only the local ones', async () => {
    const { reader, meter } = setup();
    const clock = new ManualClock();
    const { store, adopt } = adoptingStore();
    const breaker = new CircuitBreaker({
      name: 'shared',
      scheduler: clock,
      store,
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(60_000),
    });
    openTelemetryMetrics(breaker, { meter });
    adopt('shared', 'open');
    let r = await reader.collect();
    expect(point(r, 'circuit_breaker.state', { [NAME]: 'shared', [STATE]: 'open' })).toBe(1);
    adopt('shared', 'closed');
    callLasting(breaker, clock, 10, new Error('here'));
    breaker.reset();
    callLasting(breaker, clock, 10, new Error('again'));
    r = await reader.collect();
    expect(point(r, 'circuit_breaker.state', { [NAME]: 'shared', [STATE]: 'open' })).toBe(1);
    const transitions = points(r, 'circuit_breaker.transitions').map(
      (d) => `${String(d.attributes[PREVIOUS])}->${String(d.attributes[STATE])}=${d.value}`,
    );
    expect(transitions.sort()).toEqual(['closed->open=2', 'open->closed=1']);
  });
});

describe('openTelemetryMetrics options', () => {
  test('bad or unknown options are errors naming the option and the value', () => {
    const breaker = new CircuitBreaker({ name: 'opts' });
    const { meter } = setup();
    expect(() => openTelemetryMetrics(breaker, { meter, metre: meter } as never)).toThrow(
      new TypeError(
        'openTelemetryMetrics(target, options): unknown option "metre" (expected meter or onError)',
      ),
    );
    expect(() => openTelemetryMetrics(breaker, { meter: 'm' as never })).toThrow(
      new TypeError(
        'openTelemetryMetrics(target, options).meter: expected an OpenTelemetry Meter, got "m"',
      ),
    );
    expect(() => openTelemetryMetrics(breaker, { meter, onError: 1 as never })).toThrow(
      new TypeError('openTelemetryMetrics(target, options).onError: expected a function, got 1'),
    );
    expect(() => openTelemetryMetrics([] as never, { meter })).toThrow(
      new TypeError(
        'openTelemetryMetrics(target): expected a CircuitBreaker or a BreakerRegistry, got an array of length 0',
      ),
    );
  });
});
