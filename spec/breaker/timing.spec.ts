/**
 * When the breaker reads its clock for a call (docs/guide.md, "When calls are timed"): only when
 * the window, the tripper or `events$` needs a time or a duration. A breaker that times no call
 * says so in `info()` with `null` durations, never a made-up 0.
 */
import {
  CircuitBreaker,
  trippers,
  windows,
  type BreakerEvent,
  type CircuitBreakerConfig,
  type Tripper,
  type Window,
} from '../../src';
import { fail, startCall, succeed } from '../helpers/calls';
import { FaultyClock } from '../helpers/clock';

class Ignored extends Error {}

function setup(config: CircuitBreakerConfig = {}) {
  const clock = new FaultyClock(1_000);
  const breaker = new CircuitBreaker({ name: 'svc', scheduler: clock, ...config });
  return { clock, breaker };
}

/** How many times one successful call, made while `clock` reads `at`, reads the clock. */
function readsPerCall(breaker: CircuitBreaker, clock: FaultyClock): number {
  const before = clock.reads;
  succeed(breaker);
  fail(breaker);
  return (clock.reads - before) / 2;
}

describe('calls are timed only when something needs their time', () => {
  test('the defaults (a count window, minRequests and failureRate) read the clock for no call in closed', () => {
    const { clock, breaker } = setup();
    expect(readsPerCall(breaker, clock)).toBe(0);
    expect(breaker.info().metrics).toEqual({
      totalCount: 2,
      failureCount: 1,
      totalDuration: null,
      failureRate: 0.5,
      avgDuration: null,
      slowCounts: {},
    });
  });

  test.each<[string, CircuitBreakerConfig]>([
    ['a time window', { window: windows.time(60_000) }],
    ['avgLatency', { tripper: trippers.avgLatency(60_000) }],
    ['slowRate', { tripper: trippers.slowRate(1, 60_000) }],
    ['avgLatency under and()', { tripper: trippers.minRequests(99).and(trippers.avgLatency(1e6)) }],
    ['avgLatency under or()', { tripper: trippers.failureStreak(99).or(trippers.avgLatency(1e6)) }],
    [
      'avgLatency under not()',
      { tripper: trippers.avgLatency(1).not().and(trippers.halfOpened()) },
    ],
    ['a tripper that does not say', { tripper: { trips: () => false } }],
    [
      'a window that does not say',
      { window: { create: (t) => windows.count(10).create(t) } satisfies Window },
    ],
  ])('%s: every call is timed, start and end, and info() has its durations', (_, config) => {
    const { clock, breaker } = setup(config);
    expect(readsPerCall(breaker, clock)).toBe(2);
    const c = startCall(breaker);
    clock.advance(30);
    c.source.complete();
    const { metrics } = breaker.info();
    expect(metrics.totalDuration).toBe(30);
    expect(metrics.avgDuration).toBe(10);
  });

  test('a tripper and a window that say they need no time are believed', () => {
    const tripper: Tripper = { trips: () => false, usesDurations: false };
    const window: Window = { create: (t) => windows.count(10).create(t), usesTime: false };
    const { clock, breaker } = setup({ tripper, window });
    expect(readsPerCall(breaker, clock)).toBe(0);
    expect(breaker.info().metrics.avgDuration).toBeNull();
  });

  test('a tripper that names slow thresholds needs durations, whatever else it says', () => {
    const tripper: Tripper = { trips: () => false, usesDurations: false, slowThresholds: [100] };
    const { clock, breaker } = setup({ tripper });
    expect(readsPerCall(breaker, clock)).toBe(2);
  });

  test('once events$ is asked for, calls are timed and events carry their durations', () => {
    const { clock, breaker } = setup();
    const events: BreakerEvent[] = [];
    breaker.events$.subscribe((e) => events.push(e));
    const c = startCall(breaker);
    clock.advance(25);
    c.source.complete();
    const f = startCall(breaker);
    clock.advance(5);
    f.source.error(new Error('down'));
    expect(events).toEqual([
      { type: 'success', name: 'svc', at: 1025, duration: 25 },
      { type: 'failure', name: 'svc', at: 1030, duration: 5, error: new Error('down') },
    ]);
    // The window still has no durations: the calls before events$ had none.
    expect(breaker.info().metrics.totalDuration).toBeNull();
  });

  test('a call under way when events$ is first asked for reports no success or failure (its duration is unknown), an ignored error still', () => {
    const { clock, breaker } = setup({
      tracker: { tracks: (e: unknown) => !(e instanceof Ignored) },
    });
    const ok = startCall(breaker);
    const down = startCall(breaker);
    const ignored = startCall(breaker);
    const events: BreakerEvent[] = [];
    breaker.events$.subscribe((e) => events.push(e));
    clock.advance(10);
    ok.source.complete();
    down.source.error(new Error('down'));
    ignored.source.error(new Ignored('not ours'));
    expect(events).toEqual([
      { type: 'ignored', name: 'svc', at: 1010, error: new Ignored('not ours') },
    ]);
    // Recorded all the same.
    expect(breaker.info().metrics).toMatchObject({ totalCount: 2, failureCount: 1 });
    expect(ok.seen.completed).toBe(true);
  });

  test('an outcome not timed that trips the breaker reads the clock once, for changedAt', () => {
    const { clock, breaker } = setup({ tripper: trippers.failureStreak(2) });
    fail(breaker);
    expect(clock.reads).toBe(1); // the constructor's reading
    const c = startCall(breaker);
    clock.advance(700);
    c.source.error(new Error('down'));
    expect(breaker.state).toBe('open');
    expect(breaker.info().changedAt).toBe(1700);
    expect(clock.reads).toBe(3); // the transition's reading and info()'s
  });

  test('a clock that cannot be read does not matter to a breaker that does not read it', () => {
    const reports: unknown[] = [];
    const { clock, breaker } = setup({ onError: (e) => reports.push(e) });
    clock.mode = 'throw';
    succeed(breaker);
    fail(breaker);
    expect(reports).toEqual([]);
    expect(breaker.info().metrics.totalCount).toBe(2);
  });

  test('the promise paths are timed by the same rule', async () => {
    const { clock, breaker } = setup();
    await breaker.call(() => 1);
    await breaker.execute(() => 2);
    expect(clock.reads).toBe(1);
    const timed = setup({ window: windows.time(60_000) });
    await timed.breaker.call(() => 1);
    await timed.breaker.execute(() => 2);
    expect(timed.clock.reads).toBe(1 + 4);
  });
});

describe('what the built-in parts declare', () => {
  test('count windows read no time; time windows do', () => {
    expect(windows.count(5).usesTime).toBe(false);
    expect(windows.time(1_000).usesTime).not.toBe(false);
  });

  test.each<[string, Tripper, boolean]>([
    ['minRequests', trippers.minRequests(1), false],
    ['failureRate', trippers.failureRate(0.5), false],
    ['failureStreak', trippers.failureStreak(3), false],
    ['closed and halfOpened', trippers.closed().or(trippers.halfOpened()), false],
    ['avgLatency', trippers.avgLatency(100), true],
    ['slowRate', trippers.slowRate(0.5, 100), true],
    ['a combination with avgLatency', trippers.failureStreak(3).or(trippers.avgLatency(1)), true],
    ['with a tripper from elsewhere', trippers.failureStreak(3).and({ trips: () => true }), true],
    [
      'with one from elsewhere that needs none',
      trippers.failureStreak(3).and({ trips: () => true, usesDurations: false }),
      false,
    ],
    ['not() of avgLatency', trippers.avgLatency(1).not(), true],
  ])('%s: usesDurations is %p', (_, tripper, uses) => {
    expect(tripper.usesDurations).toBe(uses);
  });
});
