/**
 * rxjs-fluxgate/prometheus against a real prom-client Registry: breakers that go (deleted,
 * evicted, disposed), invalid durations, remote transitions, and the work one call costs.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { BreakerRegistry, CircuitBreaker, permits, retries, trippers } from 'rxjs-fluxgate';
import { prometheusMetrics } from '../../src/prometheus';
import { adoptingStore } from '../helpers/adopting-store';
import { callLasting } from '../helpers/calls';
import { ManualClock } from '../helpers/clock';
import { unhandledErrors } from '../helpers/unhandled';

/** The series of a scrape whose labels include `circuit_name="<name>"`. */
async function seriesOf(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#') && line.includes(`circuit_name="${name}"`));
}

async function value(
  registry: Registry,
  metric: string,
  labels: string,
): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('prometheusMetrics: breakers that go', () => {
  test('a breaker deleted or evicted from its registry takes all its series; the others stay', async () => {
    const clock = new ManualClock();
    const breakers = new BreakerRegistry({
      defaults: { scheduler: clock, tripper: trippers.failureStreak(2), permit: permits.all() },
      maxBreakers: 2,
    });
    const registry = new Registry();
    prometheusMetrics(breakers, { registry });
    const a = breakers.get('a');
    callLasting(a, clock, 10);
    a.forceOpen();
    a.reset(); // a transition series for a, and a closed, idle breaker again
    const b = breakers.get('b');
    callLasting(b, clock, 10, new Error('x')); // b counts a failure: never evicted
    expect((await seriesOf(registry, 'a')).length).toBeGreaterThan(20);
    const before = await seriesOf(registry, 'b');

    breakers.get('c'); // evicts a, the least recently used idle breaker
    expect(breakers.has('a')).toBe(false);
    expect(await seriesOf(registry, 'a')).toEqual([]);
    expect(await seriesOf(registry, 'b')).toEqual(before);
    expect(await value(registry, 'circuit_breaker_state', 'circuit_name="c",state="closed"')).toBe(
      1,
    );

    breakers.delete('b');
    expect(await seriesOf(registry, 'b')).toEqual([]);
    expect((await seriesOf(registry, 'c')).length).toBeGreaterThan(0);
    // The name comes back: its series start again from 0.
    breakers.get('a');
    expect(
      await value(registry, 'circuit_breaker_calls_total', 'circuit_name="a",outcome="success"'),
    ).toBe(0);
  });

  test('a breaker attached alone and disposed takes its series; a twin of its name keeps them', async () => {
    const clock = new ManualClock();
    const registry = new Registry();
    const solo = new CircuitBreaker({ name: 'solo', scheduler: clock });
    prometheusMetrics(solo, { registry });
    prometheusMetrics(solo, { registry }); // attached twice: still one set of series
    callLasting(solo, clock, 10);
    solo.dispose();
    expect(await seriesOf(registry, 'solo')).toEqual([]);

    const one = new CircuitBreaker({ name: 'twin', scheduler: clock });
    const two = new CircuitBreaker({ name: 'twin', scheduler: clock });
    prometheusMetrics(one, { registry });
    prometheusMetrics(two, { registry });
    callLasting(one, clock, 10);
    two.forceOpen();
    one.dispose();
    expect(
      await value(registry, 'circuit_breaker_calls_total', 'circuit_name="twin",outcome="success"'),
    ).toBe(1);
    expect(
      await value(registry, 'circuit_breaker_state', 'circuit_name="twin",state="forced_open"'),
    ).toBe(1);
    two.dispose();
    expect(await seriesOf(registry, 'twin')).toEqual([]);
  });
});

describe('prometheusMetrics: nothing thrown into RxJS', () => {
  const unhandled = unhandledErrors();

  test('an infinite duration is skipped and reported once; the calls still count', async () => {
    const clock = new ManualClock();
    const registry = new Registry();
    const breaker = new CircuitBreaker({ name: 'odd', scheduler: clock, permit: permits.all() });
    const reported: unknown[] = [];
    prometheusMetrics(breaker, { registry, onError: (e) => reported.push(e) });
    callLasting(breaker, clock, 10);
    // The core never measures a non-finite duration (its clock is guarded); a breaker from a
    // broken copy could still report one, so it is made here through the call protocol (a start
    // of -Infinity: an infinite duration; a NaN start is a call the core did not time).
    for (const startedAt of [-Infinity, -Infinity, -Infinity]) {
      breaker._success(breaker._acquire() as number, startedAt);
    }
    breaker._error(breaker._acquire() as number, -Infinity, new Error('fails too'));
    clock.time = 200;
    callLasting(breaker, clock, 20);
    await new Promise((resolve) => setTimeout(resolve, 0)); // where RxJS would report a throw
    expect(unhandled).toEqual([]);
    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toMatch(/"odd" reported a success lasting Infinity ms/);
    const calls = (outcome: string) =>
      value(registry, 'circuit_breaker_calls_total', `circuit_name="odd",outcome="${outcome}"`);
    expect(await calls('success')).toBe(5);
    expect(await calls('failure')).toBe(1);
    const count = (outcome: string) =>
      value(registry, 'circuit_breaker_call_duration_seconds_count', `outcome="${outcome}"`);
    expect(await count('success')).toBe(2);
    expect(await count('failure')).toBe(0);
    expect(
      await value(registry, 'circuit_breaker_call_duration_seconds_sum', 'outcome="success"'),
    ).toBeCloseTo(0.03, 10);
  });

  test('a metric write that throws is reported, by default to console.error, and nothing else breaks', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const clock = new ManualClock();
      const registry = new Registry();
      const breaker = new CircuitBreaker({ name: 'w', scheduler: clock });
      prometheusMetrics(breaker, { registry });
      const calls = registry.getSingleMetric('circuit_breaker_calls_total') as Counter;
      // Some other code broke the metric object: every write now throws.
      const broken = jest.spyOn(calls, 'inc').mockImplementation(() => {
        throw new Error('broken metric');
      });
      const other = new CircuitBreaker({ name: 'other', scheduler: clock });
      prometheusMetrics(other, { registry });
      callLasting(other, clock, 10);
      callLasting(other, clock, 10);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).toEqual([]);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0]![1])).toContain('broken metric');
      expect(other.info().metrics.totalCount).toBe(2);
      broken.mockRestore();
    } finally {
      errors.mockRestore();
    }
  });

  test('a call writes through series looked up when the breaker was attached, never per call', async () => {
    const clock = new ManualClock();
    const registry = new Registry();
    const breaker = new CircuitBreaker({ name: 'hot', scheduler: clock });
    prometheusMetrics(breaker, { registry });
    const calls = registry.getSingleMetric('circuit_breaker_calls_total') as Counter;
    const duration = registry.getSingleMetric('circuit_breaker_call_duration_seconds') as Histogram;
    const lookups = [
      jest.spyOn(calls, 'inc'),
      jest.spyOn(calls, 'labels'),
      jest.spyOn(duration, 'observe'),
      jest.spyOn(duration, 'labels'),
    ];
    for (let i = 0; i < 100; i++) callLasting(breaker, clock, 10);
    for (const spy of lookups) expect(spy).not.toHaveBeenCalled();
    expect(
      await value(registry, 'circuit_breaker_calls_total', 'circuit_name="hot",outcome="success"'),
    ).toBe(100);
    expect(
      await value(registry, 'circuit_breaker_call_duration_seconds_count', 'circuit_name="hot"'),
    ).toBe(100);
  });
});

describe('prometheusMetrics: remote transitions', () => {
  test('the state gauge follows them; the transition counter counts only the local ones', async () => {
    const clock = new ManualClock();
    const { store, adopt } = adoptingStore();
    const registry = new Registry();
    const breaker = new CircuitBreaker({
      name: 'shared',
      scheduler: clock,
      store,
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(60_000),
    });
    prometheusMetrics(breaker, { registry });
    const origins: string[] = [];
    breaker.transitions$.subscribe((t) => origins.push(`${t.origin}:${t.from}->${t.to}`));

    adopt('shared', 'open'); // another process tripped it
    const state = (s: string) =>
      value(registry, 'circuit_breaker_state', `circuit_name="shared",state="${s}"`);
    expect(await state('open')).toBe(1);
    expect(await state('closed')).toBe(0);
    adopt('shared', 'closed');
    expect(await state('closed')).toBe(1);
    callLasting(breaker, clock, 10, new Error('here')); // this process trips it
    expect(await state('open')).toBe(1);
    breaker.reset();
    callLasting(breaker, clock, 10, new Error('again')); // the same local transition, counted again
    expect(origins).toEqual([
      'remote:closed->open',
      'remote:open->closed',
      'local:closed->open',
      'local:open->closed',
      'local:closed->open',
    ]);

    const transitions = (from: string, to: string) =>
      value(
        registry,
        'circuit_breaker_state_transition_total',
        `circuit_name="shared",old_state="${from}",new_state="${to}"`,
      );
    expect(await transitions('closed', 'open')).toBe(2);
    expect(await transitions('open', 'closed')).toBe(1); // the local reset only
  });
});

describe('prometheusMetrics options', () => {
  test('after registry.clear(), a metric of our name registered by other code is an error', async () => {
    const registry = new Registry();
    const breaker = new CircuitBreaker({ name: 'c' });
    prometheusMetrics(breaker, { registry });
    registry.clear();
    registry.registerMetric(new Counter({ name: 'circuit_breaker_calls_total', help: 'theirs' }));
    expect(() => prometheusMetrics(breaker, { registry })).toThrow(
      /already holds a metric named "circuit_breaker_calls_total"/,
    );
  });

  test('bad or unknown options are errors naming the option and the value', () => {
    const breaker = new CircuitBreaker({ name: 'opts' });
    const registry = new Registry();
    expect(() =>
      prometheusMetrics(breaker, { registry, onErorr: () => undefined } as never),
    ).toThrow(
      new TypeError(
        'prometheusMetrics(target, options): unknown option "onErorr" (expected registry, prefix, buckets or onError)',
      ),
    );
    expect(() => prometheusMetrics(breaker, { registry: {} as never })).toThrow(
      new TypeError(
        'prometheusMetrics(target, options).registry: expected a prom-client Registry, got an object',
      ),
    );
    expect(() => prometheusMetrics(breaker, { registry, onError: 'log' as never })).toThrow(
      new TypeError('prometheusMetrics(target, options).onError: expected a function, got "log"'),
    );
    expect(() => prometheusMetrics(breaker, { registry, prefix: 'bad-' })).toThrow(
      /options\).prefix: .*got "bad-"/,
    );
    expect(() => prometheusMetrics(breaker, null as never)).toThrow(
      new TypeError('prometheusMetrics(target, options): expected an options object, got null'),
    );
  });
});
