/**
 * SPEC 2.5 (evaluation), 2.6 (transitions) and the breaker's observables.
 */
import {
  CircuitBreaker,
  permits,
  retries,
  trippers,
  windows,
  type State,
  type TripContext,
  type Transition,
} from '../../src';
import { adoptingStore } from '../helpers/adopting-store';
import { ManualClock, sequence } from '../helpers/clock';
import { fail, startCall, succeed } from '../helpers/calls';

function setup(extra: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({
    name: 'b',
    scheduler: clock,
    permit: permits.all(),
    retry: retries.cooldown(100),
    ...extra,
  });
  const states: State[] = [];
  const transitions: Transition[] = [];
  breaker.state$.subscribe((s) => states.push(s));
  breaker.transitions$.subscribe((t) => transitions.push(t));
  return { clock, breaker, states, transitions };
}

describe('evaluation (SPEC 2.5)', () => {
  test('closed opens when the tripper is true after any recorded outcome, a success included', () => {
    const { breaker } = setup({ tripper: trippers.minRequests(4).and(trippers.failureRate(0.5)) });
    fail(breaker);
    fail(breaker);
    succeed(breaker);
    expect(breaker.state).toBe('closed'); // 3 calls < minRequests(4)
    succeed(breaker);
    expect(breaker.state).toBe('open'); // 4 calls, 2 failures: 0.5 >= 0.5, judged after the success
  });

  test('comparisons are >=: a rate just below the threshold does not trip', () => {
    const { breaker } = setup({ tripper: trippers.minRequests(3).and(trippers.failureRate(0.5)) });
    fail(breaker);
    succeed(breaker);
    succeed(breaker);
    expect(breaker.state).toBe('closed'); // 1/3 < 0.5
    fail(breaker);
    expect(breaker.state).toBe('open'); // 2/4 >= 0.5
  });

  test('the tripper sees the state, the metrics and the streak', () => {
    const seen: TripContext[] = [];
    const { breaker } = setup({
      tripper: {
        trips: (c) => {
          seen.push({ ...c, metrics: { ...c.metrics } });
          return false;
        },
      },
    });
    fail(breaker);
    expect(seen).toEqual([
      {
        state: 'closed',
        consecutiveFailures: 1,
        metrics: {
          totalCount: 1,
          failureCount: 1,
          totalDuration: 0,
          failureRate: 1,
          avgDuration: 0,
          slowCounts: {},
        },
      },
    ]);
  });

  test('the default tripper: one successful trial closes the breaker; a failed trial does not reopen it', () => {
    const { clock, breaker } = setup({ tripper: undefined });
    breaker.forceOpen();
    breaker.reset();
    for (let i = 0; i < 100; i++) fail(breaker);
    expect(breaker.state).toBe('open');
    clock.advance(100);
    fail(breaker); // minRequests(100) is false with one trial: stays half_open
    expect(breaker.state).toBe('half_open');
    succeed(breaker);
    expect(breaker.state).toBe('closed');
  });

  test('half_open: a success closes only when the tripper is false; a failure reopens only when it is true', () => {
    // Needs 3 good trials: in half_open, trip until 3 calls are recorded.
    const tripper = trippers
      .closed()
      .and(trippers.failureStreak(1))
      .or(trippers.halfOpened().and(trippers.minRequests(3).not()));
    const { clock, breaker } = setup({ tripper });
    fail(breaker);
    clock.advance(100);
    succeed(breaker);
    succeed(breaker);
    expect(breaker.state).toBe('half_open');
    succeed(breaker);
    expect(breaker.state).toBe('closed');
    fail(breaker);
    clock.advance(100);
    fail(breaker); // tripper true in half_open (fewer than 3 calls): reopen
    expect(breaker.info()).toMatchObject({ state: 'open', reopens: 1 });
  });

  test('metrics_only is never evaluated', () => {
    const { breaker, transitions } = setup({ tripper: trippers.failureStreak(1) });
    breaker.metricsOnly();
    for (let i = 0; i < 10; i++) fail(breaker);
    expect(breaker.state).toBe('metrics_only');
    expect(transitions.map((t) => t.to)).toEqual(['metrics_only']);
    expect(breaker.info().metrics.failureCount).toBe(10);
  });
});

describe('transitions (SPEC 2.6)', () => {
  test('each transition clears the window, sets changedAt and emits { name, from, to, at }', () => {
    const { clock, breaker, transitions } = setup({ tripper: trippers.failureStreak(2) });
    succeed(breaker);
    fail(breaker);
    clock.advance(7);
    fail(breaker);
    expect(transitions).toEqual([
      { name: 'b', from: 'closed', to: 'open', at: 7, origin: 'local' },
    ]);
    expect(breaker.info()).toMatchObject({
      state: 'open',
      changedAt: 7,
      metrics: { totalCount: 0 },
    });
  });

  test('half_open -> open adds a reopen; entering closed clears reopens and the streak', () => {
    const { clock, breaker } = setup({ tripper: trippers.failureStreak(1) });
    fail(breaker);
    for (let i = 1; i <= 3; i++) {
      clock.advance(100);
      fail(breaker);
      expect(breaker.info().reopens).toBe(i);
    }
    clock.advance(100);
    succeed(breaker);
    expect(breaker.info()).toMatchObject({ state: 'closed', reopens: 0, consecutiveFailures: 0 });
  });

  test('entering half_open sets the streak to 0; entering open keeps it', () => {
    const { clock, breaker } = setup({ tripper: trippers.failureStreak(3) });
    fail(breaker);
    fail(breaker);
    fail(breaker);
    expect(breaker.info()).toMatchObject({ state: 'open', consecutiveFailures: 3 });
    clock.advance(100);
    startCall(breaker);
    expect(breaker.info()).toMatchObject({ state: 'half_open', consecutiveFailures: 0 });
  });

  test('manual commands move from any state; to the same state they clear the window and emit nothing', () => {
    const { breaker, states, transitions } = setup({ tripper: trippers.failureStreak(5) });
    fail(breaker);
    breaker.reset();
    expect(breaker.info().metrics.totalCount).toBe(0);
    expect(breaker.info().consecutiveFailures).toBe(1);
    breaker.metricsOnly();
    breaker.disable();
    breaker.forceOpen();
    breaker.forceOpen();
    breaker.reset();
    expect(states).toEqual(['closed', 'metrics_only', 'disabled', 'forced_open', 'closed']);
    expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual([
      'closed->metrics_only',
      'metrics_only->disabled',
      'disabled->forced_open',
      'forced_open->closed',
    ]);
  });

  test('a transition adopted from a shared store clears the window, the streak and the refusals', () => {
    const { store, adopt } = adoptingStore();
    const { breaker, transitions } = setup({ store, tripper: trippers.failureStreak(3) });
    fail(breaker);
    fail(breaker);
    expect(breaker.info()).toMatchObject({ consecutiveFailures: 2, metrics: { totalCount: 2 } });
    adopt('b', 'open');
    startCall(breaker);
    expect(breaker.info()).toMatchObject({ state: 'open', notPermittedCount: 1 });
    adopt('b', 'closed');
    expect(breaker.info()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      notPermittedCount: 0,
      metrics: { totalCount: 0 },
    });
    expect(transitions.map((t) => [t.to, t.origin])).toEqual([
      ['open', 'remote'],
      ['closed', 'remote'],
    ]);
  });

  test('state$ replays the current state to a late subscriber and never repeats a state', () => {
    const { breaker, states } = setup({ tripper: trippers.failureStreak(1) });
    fail(breaker);
    const late: State[] = [];
    breaker.state$.subscribe((s) => late.push(s));
    breaker.reset();
    breaker.reset();
    expect(states).toEqual(['closed', 'open', 'closed']);
    expect(late).toEqual(['open', 'closed']);
  });

  test('listeners run in order during the transition, before the call that caused it is notified', () => {
    const log: string[] = [];
    const { breaker } = setup({
      tripper: trippers.failureStreak(1),
      listeners: [(t) => void log.push(`first ${t.to}`), (t) => void log.push(`second ${t.to}`)],
    });
    const c = startCall(breaker);
    c.subscription.add(() => log.push('subscriber done'));
    breaker.transitions$.subscribe((t) => log.push(`transitions$ ${t.to}`));
    c.source.error(new Error());
    expect(log).toEqual(['first open', 'second open', 'transitions$ open', 'subscriber done']);
  });

  test('a command issued by a listener is delivered after the current transition, in order for everyone', () => {
    const seen: string[] = [];
    const { breaker, states } = setup({
      tripper: trippers.failureStreak(1),
      listeners: [
        (t) => {
          if (t.to === 'open') breaker.forceOpen();
        },
        (t) => void seen.push(`${t.from}->${t.to}`),
      ],
    });
    fail(breaker);
    expect(seen).toEqual(['closed->open', 'open->forced_open']);
    expect(states).toEqual(['closed', 'open', 'forced_open']);
    expect(breaker.state).toBe('forced_open');
  });

  test('a listener that reopens during the probe makes the probe a refusal, not a trial', () => {
    const { clock, breaker } = setup({
      tripper: trippers.failureStreak(1),
      listeners: [(t) => (t.to === 'half_open' ? breaker.forceOpen() : undefined)],
    });
    fail(breaker);
    clock.advance(100);
    const probe = startCall(breaker);
    expect(probe.source.observed).toBe(false);
    expect(probe.seen.error).toMatchObject({ state: 'forced_open' });
  });
});

describe('re-entrancy', () => {
  test('an events$ subscriber sees the outcome recorded and its trial slot freed', () => {
    const { clock, breaker } = setup({
      tripper: trippers
        .closed()
        .and(trippers.failureStreak(1))
        .or(trippers.halfOpened().and(trippers.minRequests(3).not())),
      maxHalfOpenCalls: 1,
    });
    fail(breaker);
    clock.advance(100);
    const chained: string[] = [];
    let seenCount = -1;
    breaker.events$.subscribe((e) => {
      if (e.type !== 'success' || seenCount >= 0) return;
      seenCount = breaker.info().metrics.totalCount;
      const next = startCall(breaker);
      chained.push(next.source.observed ? 'admitted' : 'refused');
    });
    succeed(breaker);
    expect(seenCount).toBe(1);
    expect(chained).toEqual(['admitted']);
  });

  test('an outcome no longer decides anything once an events$ subscriber has moved the breaker', () => {
    const trips = jest.fn(() => true);
    const { breaker, transitions } = setup({ tripper: { trips } });
    breaker.events$.subscribe((e) => (e.type === 'failure' ? breaker.metricsOnly() : undefined));
    fail(breaker);
    expect(breaker.state).toBe('metrics_only');
    expect(transitions.map((t) => t.to)).toEqual(['metrics_only']);
    expect(trips).not.toHaveBeenCalled();
  });

  test('the verdict is taken at the time of the outcome, even if an events$ subscriber reads a later one', () => {
    const { clock, breaker } = setup({
      window: windows.time(1_000),
      tripper: trippers.minRequests(1).and(trippers.failureRate(0.5)),
    });
    breaker.events$.subscribe((e) => {
      if (e.type !== 'failure') return;
      clock.advance(5_000);
      startCall(breaker); // a timed call: reads the later time
    });
    clock.advance(1_000);
    fail(breaker);
    expect(breaker.state).toBe('open');
    expect(breaker.info().changedAt).toBe(1_000);
  });

  test('a call started from a listener is notified before its own transitions, which queue behind the current one', () => {
    const log: string[] = [];
    let started = false;
    const breaker: CircuitBreaker = new CircuitBreaker({
      tripper: trippers.failureStreak(1),
      retry: retries.always(),
      permit: permits.all(),
      listeners: [
        (t) => {
          log.push(`${t.from}->${t.to}`);
          if (t.to === 'open' && !started) {
            started = true;
            succeed(breaker);
            log.push(`inner call done, state ${breaker.state}`);
          }
        },
      ],
    });
    fail(breaker);
    expect(log).toEqual([
      'closed->open',
      'inner call done, state closed',
      'open->half_open',
      'half_open->closed',
    ]);
  });
});

describe('retries and jitter in virtual time (SPEC 3)', () => {
  test('backoff grows with reopens and starts over once closed', () => {
    const { clock, breaker } = setup({
      tripper: trippers.failureStreak(1),
      retry: retries.backoff({ initial: 100, multiplier: 2, max: 350 }),
    });
    const waits: Array<number | undefined> = [];
    const openAndMeasure = () => {
      const refused = startCall(breaker).seen.error as { retryAfter?: number };
      waits.push(refused.retryAfter);
      clock.advance(refused.retryAfter ?? 0);
    };
    fail(breaker);
    openAndMeasure(); // reopens 0: 100
    fail(breaker); // probe fails: reopens 1
    openAndMeasure(); // 200
    fail(breaker);
    openAndMeasure(); // 400 capped at 350
    succeed(breaker); // closed: reopens 0
    fail(breaker);
    openAndMeasure(); // 100 again
    expect(waits).toEqual([100, 200, 350, 100]);
  });

  test('jitter is drawn once per opening, not per check', () => {
    let draws = 0;
    const random = () => {
      draws++;
      return 0.75; // factor 1 + 0.2 * (2 * 0.75 - 1) = 1.1
    };
    const { clock, breaker } = setup({
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(1000, { jitter: 0.2 }),
      random,
    });
    fail(breaker);
    expect(draws).toBe(1);
    const first = (startCall(breaker).seen.error as { retryAfter: number }).retryAfter;
    clock.advance(500);
    const second = (startCall(breaker).seen.error as { retryAfter: number }).retryAfter;
    expect([first, second]).toEqual([1100, 600]);
    expect(draws).toBe(1);
    clock.advance(599);
    expect(startCall(breaker).seen.error).toBeDefined();
    clock.advance(1);
    expect(startCall(breaker).source.observed).toBe(true);
  });

  test('jitter factors stay within [1 - jitter, 1 + jitter]', () => {
    const { clock, breaker } = setup({
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(1000, { jitter: 0.5 }),
      random: sequence(0, 0.999999),
    });
    const waits: number[] = [];
    fail(breaker);
    for (let i = 0; i < 2; i++) {
      const wait = (startCall(breaker).seen.error as { retryAfter: number }).retryAfter;
      waits.push(wait);
      clock.advance(wait);
      fail(breaker);
    }
    expect(waits[0]).toBe(500);
    expect(waits[1]).toBeCloseTo(1500, 2);
  });

  test('a breaker with no subscribers holds no timer: open -> half_open is decided at the next call', () => {
    const { clock, breaker } = setup({ tripper: trippers.failureStreak(1) });
    fail(breaker);
    clock.advance(1e6);
    expect(breaker.state).toBe('open');
    startCall(breaker);
    expect(breaker.state).toBe('half_open');
  });
});
