/**
 * SPEC 2.1: admission at subscribe time, state by state.
 */
import {
  CallNotPermittedError,
  CircuitBreaker,
  memoryStore,
  permits,
  retries,
  trippers,
  type BreakerEvent,
  type StateStore,
} from '../../src';
import { ManualClock, sequence } from '../helpers/clock';
import { fail, startCall, succeed } from '../helpers/calls';

function breakerWith(
  clock: ManualClock,
  extra: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {},
) {
  return new CircuitBreaker({
    name: 'api',
    scheduler: clock,
    tripper: trippers.failureStreak(1),
    retry: retries.cooldown(1000),
    permit: permits.all(),
    ...extra,
  });
}

describe('admission (SPEC 2.1)', () => {
  test('closed and metrics_only admit every call', () => {
    const b = breakerWith(new ManualClock());
    const c = startCall(b);
    expect(c.seen.terminals).toBe(0);
    expect(c.source.observed).toBe(true);
    b.metricsOnly();
    fail(b);
    fail(b);
    expect(b.state).toBe('metrics_only');
    const d = startCall(b);
    expect(d.source.observed).toBe(true);
    expect(b.info().metrics.failureCount).toBe(2);
  });

  test('disabled passes calls straight through: nothing measured, recorded or emitted', () => {
    const b = breakerWith(new ManualClock());
    b.disable();
    const events: BreakerEvent[] = [];
    b.events$.subscribe((e) => events.push(e));
    const c = fail(b);
    const d = succeed(b);
    const e = startCall(b);
    e.subscription.unsubscribe();
    expect(c.seen.error).toEqual(new Error('boom'));
    expect(d.seen.completed).toBe(true);
    expect(events).toEqual([]);
    expect(b.state).toBe('disabled');
    expect(b.info().metrics.totalCount).toBe(0);
    expect(b.info().consecutiveFailures).toBe(0);
  });

  test('forced_open refuses every call, whatever the retry policy says', () => {
    const clock = new ManualClock();
    const b = breakerWith(clock, { retry: retries.always() });
    b.forceOpen();
    clock.advance(1e9);
    const c = startCall(b);
    expect(c.source.observed).toBe(false);
    expect(c.seen.error).toBeInstanceOf(CallNotPermittedError);
    expect(c.seen.error).toMatchObject({
      state: 'forced_open',
      breakerName: 'api',
      retryAfter: undefined,
    });
    expect(b.state).toBe('forced_open');
    expect(b.info().notPermittedCount).toBe(1);
  });

  test('open refuses until the retry wait has passed (now - changedAt >= wait), then probes', () => {
    const clock = new ManualClock(500);
    const b = breakerWith(clock);
    fail(b);
    expect(b.info()).toMatchObject({ state: 'open', changedAt: 500 });
    clock.advance(999);
    const early = startCall(b);
    expect(early.seen.error).toMatchObject({ state: 'open', retryAfter: 1 });
    expect(early.source.observed).toBe(false);
    clock.advance(1);
    const probe = startCall(b);
    expect(probe.source.observed).toBe(true);
    expect(b.state).toBe('half_open');
    expect(b.info().changedAt).toBe(1500);
  });

  test('retryAfter counts down in virtual time and is undefined for retries.never()', () => {
    const clock = new ManualClock();
    const b = breakerWith(clock, { retry: retries.cooldown(10_000) });
    fail(b);
    const seen: Array<number | undefined> = [];
    for (const step of [0, 2500, 2500, 4999]) {
      clock.advance(step);
      seen.push((startCall(b).seen.error as CallNotPermittedError).retryAfter);
    }
    expect(seen).toEqual([10_000, 7500, 5000, 1]);

    const never = breakerWith(clock, { retry: retries.never() });
    fail(never);
    clock.advance(1e12);
    expect(startCall(never).seen.error).toMatchObject({ state: 'open', retryAfter: undefined });
  });

  test('half_open admits at most maxHalfOpenCalls trials in flight; a finished trial frees its slot', () => {
    const clock = new ManualClock();
    const b = breakerWith(clock, { maxHalfOpenCalls: 2, tripper: trippers.failureStreak(3) });
    fail(b);
    fail(b);
    fail(b);
    clock.advance(1000);
    const t1 = startCall(b);
    const t2 = startCall(b);
    const t3 = startCall(b);
    expect(b.state).toBe('half_open');
    expect([t1, t2].every((t) => t.source.observed)).toBe(true);
    expect(t3.seen.error).toMatchObject({ state: 'half_open', retryAfter: undefined });
    t1.source.error(new Error('still down')); // a failure that does not trip (streak 1 of 3)
    expect(b.state).toBe('half_open');
    const t4 = startCall(b);
    expect(t4.source.observed).toBe(true);
    expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError);
  });

  test('a cancelled trial frees its slot', () => {
    const clock = new ManualClock();
    const b = breakerWith(clock, { maxHalfOpenCalls: 1 });
    fail(b);
    clock.advance(1000);
    const t1 = startCall(b);
    expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError);
    t1.subscription.unsubscribe();
    expect(startCall(b).source.observed).toBe(true);
  });

  test('an ignored error frees the trial slot without deciding anything', () => {
    const clock = new ManualClock();
    const b = breakerWith(clock, {
      maxHalfOpenCalls: 1,
      tracker: { tracks: (e) => e !== 'ignore me' },
    });
    fail(b);
    clock.advance(1000);
    const t1 = startCall(b);
    t1.source.error('ignore me');
    expect(b.state).toBe('half_open');
    expect(startCall(b).source.observed).toBe(true);
  });

  test('half_open asks the permit with the time since entering half_open', () => {
    const clock = new ManualClock();
    const asked: number[] = [];
    const b = breakerWith(clock, {
      permit: {
        admits: (elapsed) => {
          asked.push(elapsed);
          return elapsed >= 300;
        },
      },
    });
    fail(b);
    clock.advance(1000);
    expect(startCall(b).seen.error).toMatchObject({ state: 'half_open' });
    clock.advance(299);
    expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError);
    clock.advance(1);
    expect(startCall(b).source.observed).toBe(true);
    expect(asked).toEqual([0, 299, 300]);
  });

  test('rampUp admits with a probability that grows linearly, drawn from the configured random', () => {
    const clock = new ManualClock();
    // random() always 0.5: admitted once p > 0.5, i.e. after 40% of the ramp from 0.1 to 1.
    const b = breakerWith(clock, {
      permit: permits.rampUp({ initial: 0.1, final: 1, duration: 1000 }),
      random: sequence(0.5),
    });
    fail(b);
    clock.advance(1000);
    expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError); // p = 0.1
    clock.advance(444); // p = 0.1 + 0.9 * 0.444 = 0.4996
    expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError);
    clock.advance(2); // p = 0.5014
    expect(startCall(b).source.observed).toBe(true);
  });

  test('a hung half-open breaker goes back to open after maxHalfOpenDuration, as a reopen', () => {
    const clock = new ManualClock();
    const b = breakerWith(clock, {
      maxHalfOpenCalls: 1,
      maxHalfOpenDuration: 5000,
      retry: retries.backoff({ initial: 1000, multiplier: 3 }),
    });
    fail(b);
    clock.advance(1000);
    const hung = startCall(b);
    expect(b.state).toBe('half_open');
    clock.advance(4999);
    expect(startCall(b).seen.error).toMatchObject({ state: 'half_open' });
    clock.advance(1);
    const afterDeadline = startCall(b);
    expect(b.info()).toMatchObject({ state: 'open', reopens: 1, changedAt: 6000 });
    expect(afterDeadline.seen.error).toMatchObject({ state: 'open', retryAfter: 3000 });
    // The hung trial's late outcome belongs to an older generation and changes nothing.
    hung.source.complete();
    expect(b.state).toBe('open');
    clock.advance(3000);
    expect(startCall(b).source.observed).toBe(true);
    expect(b.state).toBe('half_open');
  });

  test('the store is asked for a trial slot, and to give one back, only for trials', () => {
    const asked: string[] = [];
    const store: StateStore = {
      connect(client) {
        const session = memoryStore().connect(client);
        return {
          ...session,
          acquireTrial(generation) {
            asked.push(`acquire ${generation}`);
            return session.acquireTrial(generation);
          },
          releaseTrial(generation) {
            asked.push(`release ${generation}`);
            session.releaseTrial(generation);
          },
        };
      },
    };
    const clock = new ManualClock();
    const b = breakerWith(clock, { store, tripper: trippers.failureStreak(2) });
    const late = startCall(b); // admitted in closed, cancelled once half-open
    succeed(b);
    fail(b);
    startCall(b).subscription.unsubscribe();
    expect(asked).toEqual([]); // a shared store would pay a round trip for each
    fail(b); // -> open
    clock.advance(1_000);
    const trial = startCall(b); // -> half_open, the trial
    late.subscription.unsubscribe();
    trial.source.complete();
    expect(b.state).toBe('closed');
    expect(asked).toEqual(['acquire 2', 'release 2']);
  });

  test('a refusal is counted in notPermittedCount and emitted as rejected, never recorded', () => {
    const clock = new ManualClock();
    const b = breakerWith(clock);
    const events: BreakerEvent[] = [];
    b.events$.subscribe((e) => events.push(e));
    fail(b);
    startCall(b);
    startCall(b);
    expect(b.info()).toMatchObject({ notPermittedCount: 2, metrics: { totalCount: 0 } });
    const rejected = events.filter((e) => e.type === 'rejected');
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toMatchObject({
      name: 'api',
      at: 0,
      error: expect.any(CallNotPermittedError),
    });
  });

  test('a refusal in forced_open is emitted at the time of the call', () => {
    const clock = new ManualClock(2_500);
    const b = breakerWith(clock);
    const events: BreakerEvent[] = [];
    b.events$.subscribe((e) => events.push(e));
    b.forceOpen();
    clock.advance(500);
    startCall(b);
    expect(events).toEqual([
      { type: 'rejected', name: 'api', at: 3_000, error: expect.any(CallNotPermittedError) },
    ]);
  });

  test('a refusal leaves Error.stackTraceLimit as it found it', () => {
    const b = breakerWith(new ManualClock());
    b.forceOpen();
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      startCall(b);
      expect(Error.stackTraceLimit).toBe(17);
    } finally {
      Error.stackTraceLimit = saved;
    }
  });

  test('an admission gives up after four transitions when listeners keep moving the breaker', () => {
    // A clock that moves 1 ms at each reading, and a listener that reopens for 1 ms at every
    // probe: each time the admission looks, the wait is over again.
    class TickingClock extends ManualClock {
      override now(): number {
        return this.time++;
      }
    }
    const b: CircuitBreaker = breakerWith(new TickingClock(), {
      retry: retries.cooldown(1),
      listeners: [(t) => (t.to === 'half_open' ? b.openFor(1) : undefined)],
    });
    fail(b);
    const moves: string[] = [];
    b.transitions$.subscribe((t) => moves.push(`${t.from}->${t.to}`));
    expect(startCall(b).seen.error).toBeInstanceOf(CallNotPermittedError);
    expect(moves).toEqual(Array(4).fill(['open->half_open', 'half_open->open']).flat());
    expect(b.info().notPermittedCount).toBe(1);
  });
});
