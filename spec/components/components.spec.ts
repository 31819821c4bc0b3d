import fc from 'fast-check';
import {
  listeners,
  permits,
  retries,
  trackers,
  trippers,
  type Metrics,
  type State,
  type TripContext,
} from '../../src';

class NetError extends Error {}
class Timeout extends Error {}

function context(metrics: Partial<Metrics>, extra: Partial<TripContext> = {}): TripContext {
  const totalCount = metrics.totalCount ?? 0;
  return {
    state: 'closed',
    consecutiveFailures: 0,
    ...extra,
    metrics: {
      totalCount,
      failureCount: 0,
      totalDuration: 0,
      failureRate: null,
      avgDuration: null,
      slowCounts: {},
      ...metrics,
    },
  };
}

describe('trackers', () => {
  test('all, typeOf and custom decide which errors count', () => {
    expect(trackers.all().tracks('anything')).toBe(true);
    const net = trackers.typeOf(NetError, Timeout);
    expect([new NetError(), new Timeout(), new Error(), 'str'].map((e) => net.tracks(e))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    const status = trackers.custom((e) => (e as { status?: number }).status === 503);
    expect([{ status: 503 }, { status: 404 }].map((e) => status.tracks(e))).toEqual([true, false]);
  });

  test('and, or and not combine any trackers, including hand-written ones', () => {
    const net = trackers.typeOf(NetError);
    const fatal = { tracks: (e: unknown) => (e as Error).message === 'fatal' };
    const errors = [new NetError('fatal'), new NetError('x'), new Error('fatal'), new Error('x')];
    expect(errors.map((e) => net.and(fatal).tracks(e))).toEqual([true, false, false, false]);
    expect(errors.map((e) => net.or(fatal).tracks(e))).toEqual([true, true, true, false]);
    expect(errors.map((e) => net.not().tracks(e))).toEqual([false, false, true, true]);
  });

  test('custom only counts a literal true', () => {
    expect(trackers.custom(() => 'yes' as unknown as boolean).tracks(new Error())).toBe(false);
  });
});

describe('trippers', () => {
  test('every metric tripper is false on an empty window', () => {
    const empty = context({});
    for (const t of [
      trippers.minRequests(1),
      trippers.failureRate(0.000001),
      trippers.slowRate(0.000001, 1),
      trippers.avgLatency(0.000001),
    ]) {
      expect(t.trips(empty)).toBe(false);
    }
  });

  test('comparisons are >= at the boundary and false just below it', () => {
    expect(trippers.minRequests(5).trips(context({ totalCount: 5 }))).toBe(true);
    expect(trippers.minRequests(5).trips(context({ totalCount: 4 }))).toBe(false);
    expect(trippers.failureRate(0.5).trips(context({ totalCount: 4, failureCount: 2 }))).toBe(true);
    expect(trippers.failureRate(0.5).trips(context({ totalCount: 5, failureCount: 2 }))).toBe(
      false,
    );
    expect(
      trippers.slowRate(0.5, 300).trips(context({ totalCount: 2, slowCounts: { 300: 1 } })),
    ).toBe(true);
    expect(
      trippers.slowRate(0.5, 300).trips(context({ totalCount: 3, slowCounts: { 300: 1 } })),
    ).toBe(false);
    expect(trippers.avgLatency(100).trips(context({ totalCount: 2, totalDuration: 200 }))).toBe(
      true,
    );
    expect(trippers.avgLatency(100).trips(context({ totalCount: 2, totalDuration: 199 }))).toBe(
      false,
    );
    expect(trippers.failureStreak(3).trips(context({}, { consecutiveFailures: 3 }))).toBe(true);
    expect(trippers.failureStreak(3).trips(context({}, { consecutiveFailures: 2 }))).toBe(false);
  });

  test('slowRate counts no slow call when the metrics hold none for its threshold', () => {
    expect(trippers.slowRate(0.1, 300).trips(context({ totalCount: 4, slowCounts: {} }))).toBe(
      false,
    );
  });

  test('closed and halfOpened test the state', () => {
    const states: State[] = ['closed', 'half_open'];
    expect(states.map((state) => trippers.closed().trips(context({}, { state })))).toEqual([
      true,
      false,
    ]);
    expect(states.map((state) => trippers.halfOpened().trips(context({}, { state })))).toEqual([
      false,
      true,
    ]);
  });

  test('and, or and not follow boolean logic for all inputs, and collect slow thresholds', () => {
    const always = { trips: () => true };
    const never = { trips: () => false };
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), (a, b) => {
        const x = trippers.closed().and(a ? always : never);
        const y = b ? always : never;
        const c = context({});
        expect(x.and(y).trips(c)).toBe(a && b);
        expect(x.or(y).trips(c)).toBe(a || b);
        expect(x.not().trips(c)).toBe(!a);
      }),
    );
    const tree = trippers
      .slowRate(0.5, 500)
      .or(trippers.minRequests(1).and(trippers.slowRate(0.2, 100)))
      .or({ trips: () => false, slowThresholds: [500, 2000] })
      .not();
    expect(tree.slowThresholds).toEqual([100, 500, 2000]);
  });
});

describe('retries', () => {
  const half = () => 0.5;
  test('always waits 0, never waits forever, cooldown waits its time', () => {
    expect(retries.always().wait(3, half)).toBe(0);
    expect(retries.never().wait(0, half)).toBe(Infinity);
    expect(retries.cooldown(60_000).wait(7, half)).toBe(60_000);
  });

  test('backoff waits min(initial * multiplier ** reopens, max)', () => {
    const b = retries.backoff({ initial: 10_000, multiplier: 2, max: 300_000 });
    expect([0, 1, 2, 3, 4, 5, 6].map((r) => b.wait(r, half))).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000,
    ]);
    expect(retries.backoff({ initial: 1 }).wait(100, half)).toBe(300_000);
  });

  test('jitter keeps every wait within [1 - jitter, 1 + jitter] times the base, for all draws', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 10 }),
        (jitter, draw, reopens) => {
          const base = Math.min(1000 * 3 ** reopens, 50_000);
          const wait = retries
            .backoff({ initial: 1000, multiplier: 3, max: 50_000, jitter })
            .wait(reopens, () => draw);
          expect(wait).toBeGreaterThanOrEqual(base * (1 - jitter) - 1e-6);
          expect(wait).toBeLessThanOrEqual(base * (1 + jitter) + 1e-6);
        },
      ),
    );
  });
});

describe('permits', () => {
  test('all admits, random admits below its ratio', () => {
    expect(permits.all().admits(0, () => 0.99)).toBe(true);
    expect(permits.random(0.3).admits(0, () => 0.29)).toBe(true);
    expect(permits.random(0.3).admits(0, () => 0.3)).toBe(false);
    expect(permits.random(0).admits(0, () => 0)).toBe(false);
    expect(permits.random(1).admits(0, () => 0.9999)).toBe(true);
  });

  test('rampUp grows linearly from initial to final over duration, then stays at final', () => {
    const ramp = permits.rampUp({ initial: 0.2, final: 0.6, duration: 1000 });
    // The probability is the largest draw still admitted.
    const probability = (elapsed: number) => {
      let lo = 0;
      let hi = 1;
      for (let i = 0; i < 40; i++) {
        const mid = (lo + hi) / 2;
        if (ramp.admits(elapsed, () => mid)) lo = mid;
        else hi = mid;
      }
      return lo;
    };
    expect(probability(0)).toBeCloseTo(0.2, 6);
    expect(probability(250)).toBeCloseTo(0.3, 6);
    expect(probability(500)).toBeCloseTo(0.4, 6);
    expect(probability(1000)).toBeCloseTo(0.6, 6);
    expect(probability(1e9)).toBeCloseTo(0.6, 6);
    // A half-open time that reads as negative (a breaker restored before its clock can be read
    // keeps the saved changedAt) admits as at the start, not never.
    expect(probability(-5000)).toBeCloseTo(0.2, 6);
  });
});

describe('listeners.log', () => {
  test('logs one line per transition, warn when opening, info otherwise, through any logger', () => {
    const lines: string[] = [];
    const logger = {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
    };
    const log = listeners.log({ logger, levels: { half_open: 'warn' } });
    void log({ name: 'payment_api', from: 'closed', to: 'open', at: 1, origin: 'local' });
    void log({ name: 'payment_api', from: 'open', to: 'half_open', at: 2, origin: 'local' });
    void log({ name: 'payment_api', from: 'half_open', to: 'closed', at: 3, origin: 'local' });
    expect(lines).toEqual([
      "warn Circuit breaker 'payment_api': closed -> open",
      "warn Circuit breaker 'payment_api': open -> half_open",
      "info Circuit breaker 'payment_api': half_open -> closed",
    ]);
  });

  test('calls the logger as a method, as pino and winston need', () => {
    const seen: unknown[] = [];
    const logger = {
      prefix: 'svc',
      info(this: { prefix: string }, m: string) {
        seen.push(`${this.prefix}: ${m}`);
      },
      warn() {},
    };
    void listeners
      .log({ logger })
      .call(undefined, { name: 'x', from: 'open', to: 'closed', at: 0, origin: 'local' });
    expect(seen).toEqual(["svc: Circuit breaker 'x': open -> closed"]);
  });

  test('defaults to console', () => {
    const spy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      void listeners.log()({
        name: 'c',
        from: 'closed',
        to: 'forced_open',
        at: 0,
        origin: 'local',
      });
      expect(spy).toHaveBeenCalledWith("Circuit breaker 'c': closed -> forced_open");
    } finally {
      spy.mockRestore();
    }
  });
});
