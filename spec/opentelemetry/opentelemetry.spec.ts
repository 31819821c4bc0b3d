/**
 * rxjs-fluxgate/opentelemetry against the real @opentelemetry/sdk-metrics: a MeterProvider with a
 * MetricReader that the test collects from on demand (no export timer).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { Subject } from 'rxjs';
import { BreakerRegistry, CircuitBreaker, permits, retries, trippers } from 'rxjs-fluxgate';
import { openTelemetryMetrics } from '../../src/opentelemetry';
import { VERSION } from '../../src/opentelemetry/version';
import { callLasting } from '../helpers/calls';
import { ManualClock } from '../helpers/clock';
import { NAME, OUTCOME, PREVIOUS, STATE, metric, point, setup } from './helpers';

function breakerOn(clock: ManualClock, name = 'payments'): CircuitBreaker {
  return new CircuitBreaker({
    name,
    scheduler: clock,
    permit: permits.all(),
    retry: retries.cooldown(1000),
    tripper: trippers.failureStreak(2),
  });
}

describe('openTelemetryMetrics', () => {
  test('the VERSION constant is the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });

  test('records calls, durations, state and transitions through trip, reject, probe, recover', async () => {
    const { reader, meter } = setup();
    const clock = new ManualClock();
    const breaker = breakerOn(clock);
    openTelemetryMetrics(breaker, { meter });

    let r = await reader.collect();
    expect(r.errors).toEqual([]);
    expect(point(r, 'circuit_breaker.state', { [NAME]: 'payments', [STATE]: 'closed' })).toBe(1);
    expect(point(r, 'circuit_breaker.state', { [NAME]: 'payments', [STATE]: 'open' })).toBe(0);
    expect(metric(r, 'circuit_breaker.state')?.dataPoints).toHaveLength(6);

    callLasting(breaker, clock, 150);
    callLasting(breaker, clock, 20, new Error('a'));
    callLasting(breaker, clock, 30, new Error('b')); // trips
    breaker.protect(new Subject<number>()).subscribe({ error: () => undefined }); // rejected
    clock.advance(1000);
    callLasting(breaker, clock, 10); // probe: open -> half_open -> closed
    breaker.protect(new Subject<number>()).subscribe().unsubscribe(); // cancelled

    r = await reader.collect();
    const calls = (outcome: string) =>
      point(r, 'circuit_breaker.calls', { [NAME]: 'payments', [OUTCOME]: outcome });
    expect(calls('success')).toBe(2);
    expect(calls('failure')).toBe(2);
    expect(calls('rejected')).toBe(1);
    expect(calls('cancelled')).toBe(1);
    expect(calls('ignored')).toBeUndefined();

    const duration = metric(r, 'circuit_breaker.call.duration');
    expect(duration?.descriptor.unit).toBe('s');
    const success = point<Histogram>(r, 'circuit_breaker.call.duration', {
      [NAME]: 'payments',
      [OUTCOME]: 'success',
    });
    expect(success?.count).toBe(2);
    expect(success?.sum).toBeCloseTo(0.16, 10);
    expect(success?.buckets.boundaries).toContain(0.25);
    const failure = point<Histogram>(r, 'circuit_breaker.call.duration', {
      [NAME]: 'payments',
      [OUTCOME]: 'failure',
    });
    expect(failure?.count).toBe(2);
    expect(failure?.sum).toBeCloseTo(0.05, 10);
    // No duration for rejected or cancelled calls.
    expect(
      point(r, 'circuit_breaker.call.duration', { [NAME]: 'payments', [OUTCOME]: 'rejected' }),
    ).toBeUndefined();

    const transitions = (from: string, to: string) =>
      point(r, 'circuit_breaker.transitions', {
        [NAME]: 'payments',
        [PREVIOUS]: from,
        [STATE]: to,
      });
    expect(transitions('closed', 'open')).toBe(1);
    expect(transitions('open', 'half_open')).toBe(1);
    expect(transitions('half_open', 'closed')).toBe(1);
    expect(metric(r, 'circuit_breaker.transitions')?.dataPoints).toHaveLength(3);

    breaker.forceOpen();
    r = await reader.collect();
    expect(point(r, 'circuit_breaker.state', { [NAME]: 'payments', [STATE]: 'forced_open' })).toBe(
      1,
    );
    expect(point(r, 'circuit_breaker.state', { [NAME]: 'payments', [STATE]: 'closed' })).toBe(0);
  });

  test('a registry: breakers created later are recorded; attaching twice counts once', async () => {
    const { reader, meter } = setup();
    const clock = new ManualClock();
    const breakers = new BreakerRegistry({
      defaults: { scheduler: clock, tripper: trippers.failureStreak(1), permit: permits.all() },
    });
    const sub = openTelemetryMetrics(breakers, { meter });
    openTelemetryMetrics(breakers, { meter });
    const late = breakers.get('late');
    callLasting(late, clock, 10, new Error('x'));
    let r = await reader.collect();
    expect(point(r, 'circuit_breaker.calls', { [NAME]: 'late', [OUTCOME]: 'failure' })).toBe(1);
    expect(point(r, 'circuit_breaker.state', { [NAME]: 'late', [STATE]: 'open' })).toBe(1);

    // One of the two attachments goes: the other still records.
    sub.unsubscribe();
    late.reset();
    callLasting(late, clock, 10);
    r = await reader.collect();
    expect(point(r, 'circuit_breaker.calls', { [NAME]: 'late', [OUTCOME]: 'success' })).toBe(1);
  });

  test('unsubscribing stops the counters and drops the breaker from the state gauge', async () => {
    const { reader, meter } = setup();
    const clock = new ManualClock();
    const breaker = breakerOn(clock);
    const subscription = openTelemetryMetrics(breaker, { meter });
    callLasting(breaker, clock, 10);
    subscription.unsubscribe();
    callLasting(breaker, clock, 10);
    const r = await reader.collect();
    expect(point(r, 'circuit_breaker.calls', { [NAME]: 'payments', [OUTCOME]: 'success' })).toBe(1);
    expect(metric(r, 'circuit_breaker.state')?.dataPoints ?? []).toHaveLength(0);
  });

  test('the default meter: a no-op without an SDK, the global provider once one is registered', async () => {
    const clock = new ManualClock();
    const breaker = breakerOn(clock);
    const noop = openTelemetryMetrics(breaker);
    expect(noop.closed).toBe(false);
    noop.unsubscribe();

    const { reader, provider } = setup();
    metrics.setGlobalMeterProvider(provider);
    try {
      openTelemetryMetrics(breaker);
      callLasting(breaker, clock, 10);
      const r = await reader.collect();
      const scope = r.resourceMetrics.scopeMetrics.find((s) => s.scope.name === 'rxjs-fluxgate');
      expect(scope?.scope.version).toBe(VERSION);
      expect(point(r, 'circuit_breaker.calls', { [NAME]: 'payments', [OUTCOME]: 'success' })).toBe(
        1,
      );
    } finally {
      metrics.disable();
    }
  });

  test('bad arguments are TypeErrors that say what was expected', () => {
    const breaker = breakerOn(new ManualClock());
    expect(() => openTelemetryMetrics({} as CircuitBreaker)).toThrow(
      /CircuitBreaker or a BreakerRegistry/,
    );
    expect(() => openTelemetryMetrics(breaker, { meter: {} as never, extra: 1 } as never)).toThrow(
      /unknown option "extra"/,
    );
    expect(() => openTelemetryMetrics(breaker, { meter: {} as never })).toThrow(/Meter/);
  });
});
