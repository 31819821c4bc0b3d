/**
 * rxjs-fluxgate/prometheus against a real prom-client Registry: what a scrape gets.
 */
import { Registry } from 'prom-client';
import { Subject } from 'rxjs';
import {
  BreakerRegistry,
  CircuitBreaker,
  permits,
  retries,
  trackers,
  trippers,
  type CircuitBreakerConfig,
} from 'rxjs-fluxgate';
import { prometheusMetrics } from '../../src/prometheus';
import { callLasting } from '../helpers/calls';
import { ManualClock } from '../helpers/clock';
import { startLoopbackServer } from '../helpers/loopback-server';

class Ignorable extends Error {}

/** Parses the exposition text into `name{label="v",...}` -> value, labels sorted by name. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort();
    samples.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return samples;
}

/** The key of one sample, labels given in any order. */
function key(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  return `${name}{${parts.join(',')}}`;
}

async function scrape(registry: Registry): Promise<Map<string, number>> {
  return parse(await registry.metrics());
}

function breakerOn(clock: ManualClock, extra: CircuitBreakerConfig = {}): CircuitBreaker {
  return new CircuitBreaker({
    name: 'payments',
    scheduler: clock,
    permit: permits.all(),
    retry: retries.cooldown(1000),
    tracker: trackers.custom((e) => !(e instanceof Ignorable)),
    // Opens after two failures in a row; the slowRate parts never trip (minRequests 1000) but make
    // the breaker count slow calls for 100 ms and 200 ms.
    tripper: trippers
      .failureStreak(2)
      .or(
        trippers
          .minRequests(1000)
          .and(trippers.slowRate(0.5, 200))
          .and(trippers.slowRate(0.5, 100)),
      ),
    ...extra,
  });
}

const STATE = 'circuit_breaker_state';

describe('prometheusMetrics', () => {
  test('a breaker driven through trip, reject, probe and recover: every series and value', async () => {
    const clock = new ManualClock(10_000);
    const breaker = breakerOn(clock);
    const registry = new Registry();
    const subscription = prometheusMetrics(breaker, { registry });
    const name = { circuit_name: 'payments' };

    let s = await scrape(registry);
    // The state is exported at attach, before any transition.
    expect(s.get(key(STATE, { ...name, state: 'closed' }))).toBe(1);
    for (const state of ['open', 'half_open', 'metrics_only', 'disabled', 'forced_open']) {
      expect(s.get(key(STATE, { ...name, state }))).toBe(0);
    }
    for (const outcome of ['success', 'failure', 'ignored', 'cancelled', 'rejected']) {
      expect(s.get(key('circuit_breaker_calls_total', { ...name, outcome }))).toBe(0);
    }
    // Empty window: both rates are absent, never NaN.
    expect(s.has(key('circuit_breaker_failure_rate', name))).toBe(false);
    expect(s.has(key('circuit_breaker_slow_call_rate', name))).toBe(false);
    expect([...s.values()].some(Number.isNaN)).toBe(false);

    callLasting(breaker, clock, 150); // a success, slow for 100 ms but not for 200 ms
    callLasting(breaker, clock, 20); // a fast success
    callLasting(breaker, clock, 300, new Error('down')); // a failure (failures are never slow)
    callLasting(breaker, clock, 5, new Ignorable('not ours')); // ignored: not recorded
    breaker.protect(new Subject<number>()).subscribe().unsubscribe(); // cancelled

    s = await scrape(registry);
    expect(s.get(key('circuit_breaker_failure_rate', name))).toBeCloseTo(1 / 3, 10);
    // The smallest threshold (100 ms) decides: 1 of 3 recorded calls; with 200 ms it would be 0.
    expect(s.get(key('circuit_breaker_slow_call_rate', name))).toBeCloseTo(1 / 3, 10);
    expect(s.get(key('circuit_breaker_calls_total', { ...name, outcome: 'ignored' }))).toBe(1);
    expect(s.get(key('circuit_breaker_calls_total', { ...name, outcome: 'cancelled' }))).toBe(1);

    callLasting(breaker, clock, 40, new Error('down again')); // the second failure in a row trips it
    expect(breaker.state).toBe('open');
    breaker.protect(new Subject<number>()).subscribe({ error: () => undefined }); // rejected
    clock.advance(1000);
    callLasting(breaker, clock, 10); // admitted as a probe (open -> half_open), succeeds -> closed
    expect(breaker.state).toBe('closed');

    s = await scrape(registry);
    expect(s.get(key(STATE, { ...name, state: 'closed' }))).toBe(1);
    expect(s.get(key(STATE, { ...name, state: 'open' }))).toBe(0);
    expect(s.get(key(STATE, { ...name, state: 'half_open' }))).toBe(0);
    const transition = (old_state: string, new_state: string) =>
      s.get(key('circuit_breaker_state_transition_total', { ...name, old_state, new_state }));
    expect(transition('closed', 'open')).toBe(1);
    expect(transition('open', 'half_open')).toBe(1);
    expect(transition('half_open', 'closed')).toBe(1);
    const calls = (outcome: string) =>
      s.get(key('circuit_breaker_calls_total', { ...name, outcome }));
    expect(calls('success')).toBe(3);
    expect(calls('failure')).toBe(2);
    expect(calls('ignored')).toBe(1);
    expect(calls('cancelled')).toBe(1);
    expect(calls('rejected')).toBe(1);
    const hist = 'circuit_breaker_call_duration_seconds';
    expect(s.get(key(`${hist}_count`, { ...name, outcome: 'success' }))).toBe(3);
    expect(s.get(key(`${hist}_sum`, { ...name, outcome: 'success' }))).toBeCloseTo(0.18, 10);
    expect(s.get(key(`${hist}_count`, { ...name, outcome: 'failure' }))).toBe(2);
    expect(s.get(key(`${hist}_sum`, { ...name, outcome: 'failure' }))).toBeCloseTo(0.34, 10);
    // Durations are in seconds: the 150 ms success lands in le=0.25, not in le=0.1.
    expect(s.get(key(`${hist}_bucket`, { ...name, outcome: 'success', le: '0.1' }))).toBe(2);
    expect(s.get(key(`${hist}_bucket`, { ...name, outcome: 'success', le: '0.25' }))).toBe(3);
    expect(s.get(key(`${hist}_bucket`, { ...name, outcome: 'failure', le: '0.05' }))).toBe(1);
    // The transition to closed cleared the window, so the rates are absent again.
    expect(s.has(key('circuit_breaker_failure_rate', name))).toBe(false);

    // Unsubscribing stops updates; the counters and the histogram stay; the rates and the state go.
    callLasting(breaker, clock, 10, new Error('x'));
    subscription.unsubscribe();
    callLasting(breaker, clock, 10); // the window now holds 1 failure in 2 calls
    s = await scrape(registry);
    expect(calls('success')).toBe(3);
    expect(calls('failure')).toBe(3);
    expect(s.has(key('circuit_breaker_failure_rate', name))).toBe(false);
    expect(s.get(key(`${hist}_count`, { ...name, outcome: 'failure' }))).toBe(3);
    // No state series is left for a detached breaker, so an alert on the state stops firing.
    expect([...s.keys()].filter((k) => k.startsWith(`${STATE}{`))).toEqual([]);
    breaker.forceOpen();
    s = await scrape(registry);
    expect([...s.keys()].filter((k) => k.startsWith(`${STATE}{`))).toEqual([]);
    expect(transition('closed', 'forced_open')).toBeUndefined();
    expect(transition('closed', 'open')).toBe(1);
  });

  test('a breaker created by a BreakerRegistry after attaching shows up in the scrape', async () => {
    const clock = new ManualClock();
    const breakers = new BreakerRegistry({
      defaults: { scheduler: clock, tripper: trippers.failureStreak(1), permit: permits.all() },
    });
    breakers.get('early');
    const registry = new Registry();
    prometheusMetrics(breakers, { registry });
    const late = breakers.get('late');
    callLasting(late, clock, 30, new Error('boom'));
    const s = await scrape(registry);
    expect(s.get(key(STATE, { circuit_name: 'early', state: 'closed' }))).toBe(1);
    expect(s.get(key(STATE, { circuit_name: 'late', state: 'open' }))).toBe(1);
    expect(s.get(key(STATE, { circuit_name: 'late', state: 'closed' }))).toBe(0);
    expect(
      s.get(key('circuit_breaker_calls_total', { circuit_name: 'late', outcome: 'failure' })),
    ).toBe(1);
    expect(
      s.get(
        key('circuit_breaker_state_transition_total', {
          circuit_name: 'late',
          old_state: 'closed',
          new_state: 'open',
        }),
      ),
    ).toBe(1);
  });

  test('attaching twice, and two breakers with one name, never throw and never double count', async () => {
    const clock = new ManualClock();
    const registry = new Registry();
    const a = breakerOn(clock);
    const first = prometheusMetrics(a, { registry });
    const second = prometheusMetrics(a, { registry });
    const twin = breakerOn(clock);
    expect(() => prometheusMetrics(twin, { registry })).not.toThrow();
    callLasting(a, clock, 10);
    callLasting(twin, clock, 10);
    const calls = async () =>
      (await scrape(registry)).get(
        key('circuit_breaker_calls_total', { circuit_name: 'payments', outcome: 'success' }),
      );
    expect(await calls()).toBe(2);
    first.unsubscribe();
    callLasting(a, clock, 10); // still attached through `second`
    expect(await calls()).toBe(3);
    const state = async (st: string) =>
      (await scrape(registry)).get(key(STATE, { circuit_name: 'payments', state: st }));
    a.forceOpen(); // `a` and `twin` write the same series
    expect(await state('forced_open')).toBe(1);
    second.unsubscribe();
    callLasting(a, clock, 10);
    expect(await calls()).toBe(3);
    // `twin` has the same name and is still attached: the state series stay and show its state.
    expect(await state('closed')).toBe(1);
    expect(await state('forced_open')).toBe(0);
    twin.forceOpen();
    expect(await state('forced_open')).toBe(1);
    expect(await state('closed')).toBe(0);
  });

  test('a BreakerRegistry subscription: unsubscribing removes the state series of every breaker', async () => {
    const breakers = new BreakerRegistry({ defaults: { scheduler: new ManualClock() } });
    breakers.get('a');
    breakers.get('b').forceOpen();
    const registry = new Registry();
    const subscription = prometheusMetrics(breakers, { registry });
    let s = await scrape(registry);
    expect(s.get(key(STATE, { circuit_name: 'b', state: 'forced_open' }))).toBe(1);
    expect([...s.keys()].filter((k) => k.startsWith(`${STATE}{`))).toHaveLength(12);
    subscription.unsubscribe();
    s = await scrape(registry);
    expect([...s.keys()].filter((k) => k.startsWith(`${STATE}{`))).toEqual([]);
    expect(
      s.get(key('circuit_breaker_calls_total', { circuit_name: 'b', outcome: 'success' })),
    ).toBe(0);
  });

  test('a prefix makes separate series; a name taken by other code is a clear error', async () => {
    const registry = new Registry();
    const breaker = breakerOn(new ManualClock());
    prometheusMetrics(breaker, { registry, prefix: 'app_cb_' });
    const s = await scrape(registry);
    expect(s.get(key('app_cb_state', { circuit_name: 'payments', state: 'closed' }))).toBe(1);
    expect(s.has(key(STATE, { circuit_name: 'payments', state: 'closed' }))).toBe(false);

    const other = new Registry();
    other.registerMetric(
      new (await import('prom-client')).Gauge({ name: 'circuit_breaker_state', help: 'x' }),
    );
    expect(() => prometheusMetrics(breaker, { registry: other })).toThrow(
      /already holds a metric named "circuit_breaker_state"/,
    );
    expect(() => prometheusMetrics(breaker, { registry, prefix: 'bad-prefix' })).toThrow(TypeError);
    expect(() => prometheusMetrics(breaker, { registry, buckets: [1, 0.5] })).toThrow(/buckets/);
  });

  test('metrics survive registry.clear(): attaching again puts them back', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const breaker = breakerOn(clock);
    prometheusMetrics(breaker, { registry });
    callLasting(breaker, clock, 10);
    registry.clear();
    prometheusMetrics(breaker, { registry });
    const s = await scrape(registry);
    expect(
      s.get(key('circuit_breaker_calls_total', { circuit_name: 'payments', outcome: 'success' })),
    ).toBe(1);
  });

  test('custom buckets shape the histogram', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const breaker = breakerOn(clock);
    prometheusMetrics(breaker, { registry, buckets: [0.5, 2] });
    callLasting(breaker, clock, 1000);
    const s = await scrape(registry);
    const bucket = (le: string) =>
      s.get(
        key('circuit_breaker_call_duration_seconds_bucket', {
          circuit_name: 'payments',
          outcome: 'success',
          le,
        }),
      );
    expect(bucket('0.5')).toBe(0);
    expect(bucket('2')).toBe(1);
    expect(bucket('+Inf')).toBe(1);
    expect(bucket('0.25')).toBeUndefined();
  });

  test('one scrape over HTTP from a server on 127.0.0.1', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const breaker = breakerOn(clock, { name: 'inventory' });
    prometheusMetrics(breaker, { registry });
    callLasting(breaker, clock, 10, new Error('e'));
    callLasting(breaker, clock, 10, new Error('e'));
    const server = await startLoopbackServer(async (req, res) => {
      res.setHeader('Content-Type', registry.contentType);
      res.end(await registry.metrics());
    });
    try {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      expect(text).toContain('# TYPE circuit_breaker_state gauge');
      expect(text).toContain('# TYPE circuit_breaker_call_duration_seconds histogram');
      const s = parse(text);
      expect(s.get(key(STATE, { circuit_name: 'inventory', state: 'open' }))).toBe(1);
      expect(
        s.get(
          key('circuit_breaker_calls_total', { circuit_name: 'inventory', outcome: 'failure' }),
        ),
      ).toBe(2);
    } finally {
      await server.close();
    }
  });
});
