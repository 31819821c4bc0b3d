/**
 * Fault injection (SPEC 2.8): listeners, trackers, trippers, retries, permits, windows, `isResult`,
 * fallbacks and the scheduler's clock, written against the exported interfaces, that throw (or
 * reject, or return nonsense, or step back) at random points. Whatever they do, every subscriber gets its one terminal
 * notification, the breaker stays in a valid state, each fault reaches `onError` (a fallback's goes
 * to its subscriber), nothing escapes to RxJS's unhandled-error hook, and once the faults stop the
 * breaker behaves exactly as the reference model says.
 */
import fc from 'fast-check';
import { config as rxConfig, of, throwError, type ObservableInput } from 'rxjs';
import {
  STATES,
  type CircuitBreakerConfig,
  type FaultSource,
  type Listener,
  type Permit,
  type Retry,
  type Tracker,
  type Tripper,
  type Window,
} from 'rxjs-fluxgate';
import { buildConfig, probingSpecArb, seeded, type BreakerSpec } from '../model/config-spec';
import { agree, applyStep, offsetsNow } from '../model/drive';
import { FALLBACK_VALUE, ReferenceModel } from '../model/reference-model';
import { RealSystem } from '../model/real-system';
import type { ClockFault } from '../helpers/clock';
import {
  callStepArbs,
  errorFor,
  openForStepArb,
  stepArbs,
  stepBackStepArb,
  type Step,
} from '../model/steps';

const NAME = 'faulty';

/** What a faulty component throws. */
class Fault extends Error {
  constructor(
    readonly source: FaultSource | 'fallback',
    n: number,
  ) {
    super(`injected ${source} fault #${n}`);
  }
}

/** Decides, from its own seeded sequence, when the faulty components fail. */
class Injector {
  on = true;
  readonly thrown: Fault[] = [];
  /** How many times the retry returned NaN instead of a wait. */
  nonsense = 0;
  private readonly random: () => number;

  constructor(
    private readonly rate: number,
    seed: number,
  ) {
    this.random = seeded(seed);
  }

  chance(): boolean {
    return this.on && this.random() < this.rate;
  }

  fault(source: FaultSource | 'fallback'): Fault {
    const f = new Fault(source, this.thrown.length);
    this.thrown.push(f);
    return f;
  }

  maybeThrow(source: FaultSource | 'fallback'): void {
    if (this.chance()) throw this.fault(source);
  }

  /** A clock fault for the next reading, or none. */
  clockFault(): ClockFault | undefined {
    if (!this.chance()) return undefined;
    const kinds: ClockFault[] = ['throw', 'nan', 'infinity', 'string'];
    return kinds[Math.floor(this.random() * kinds.length)];
  }
}

function faultyTracker(inner: Tracker, inj: Injector): Tracker {
  return {
    tracks(error) {
      inj.maybeThrow('tracker');
      return inner.tracks(error);
    },
  };
}

function faultyTripper(inner: Tripper, inj: Injector): Tripper {
  return {
    slowThresholds: inner.slowThresholds ?? [],
    // What it reads is what the tripper it wraps reads (so the model's timing rule holds).
    ...(inner.usesDurations === undefined ? {} : { usesDurations: inner.usesDurations }),
    trips(context) {
      inj.maybeThrow('tripper');
      return inner.trips(context);
    },
  };
}

function faultyRetry(inner: Retry, inj: Injector): Retry {
  return {
    wait(reopens, random) {
      inj.maybeThrow('retry');
      if (inj.chance()) {
        inj.nonsense += 1;
        return NaN;
      }
      return inner.wait(reopens, random);
    },
  };
}

function faultyPermit(inner: Permit, inj: Injector): Permit {
  return {
    admits(elapsed, random) {
      inj.maybeThrow('permit');
      return inner.admits(elapsed, random);
    },
  };
}

function faultyWindow(inner: Window, inj: Injector): Window {
  return {
    ...(inner.usesTime === undefined ? {} : { usesTime: inner.usesTime }),
    create(thresholds) {
      const store = inner.create(thresholds);
      return {
        record(now, failure, duration) {
          inj.maybeThrow('window');
          store.record(now, failure, duration);
        },
        read(now) {
          inj.maybeThrow('window');
          return store.read(now);
        },
        clear() {
          inj.maybeThrow('window');
          store.clear();
        },
      };
    },
  };
}

/** Throws, or returns a promise that rejects, or does nothing. */
function faultyListener(inj: Injector): Listener {
  return () => {
    inj.maybeThrow('listener');
    if (inj.chance()) return Promise.reject(inj.fault('listener'));
    return undefined;
  };
}

interface Reported {
  readonly error: unknown;
  readonly source: FaultSource;
}

let unhandled: unknown[] = [];
let stopped: unknown[] = [];
const savedRxConfig = { ...rxConfig };
beforeAll(() => {
  rxConfig.onUnhandledError = (e) => unhandled.push(e);
  rxConfig.onStoppedNotification = (n) => stopped.push(n);
});
afterAll(() => {
  rxConfig.onUnhandledError = savedRxConfig.onUnhandledError;
  rxConfig.onStoppedNotification = savedRxConfig.onStoppedNotification;
});

async function run(
  spec: BreakerSpec,
  rate: number,
  faultSeed: number,
  steps: Step[],
  after: Step[],
): Promise<void> {
  unhandled = [];
  stopped = [];
  const inj = new Injector(rate, faultSeed);
  const reported: Reported[] = [];
  let transitionsSeen = 0;
  let random = seeded(spec.seed);
  const base = buildConfig(spec);
  const config: CircuitBreakerConfig = {
    ...base,
    name: NAME,
    window: faultyWindow(base.window!, inj),
    tracker: faultyTracker(base.tracker!, inj),
    tripper: faultyTripper(base.tripper!, inj),
    retry: faultyRetry(base.retry!, inj),
    permit: faultyPermit(base.permit!, inj),
    random: () => random(),
    // A faulty listener first: the one after it must still see every transition.
    listeners: [faultyListener(inj), () => void (transitionsSeen += 1)],
    onError: (error, context) => reported.push({ error, source: context.source }),
  };
  const r = new RealSystem(config, 0, { watchEvents: spec.watchEvents !== false });
  const fallback = (): ObservableInput<unknown> => {
    inj.maybeThrow('fallback');
    if (inj.chance()) {
      const f = inj.fault('fallback');
      return throwError(() => f);
    }
    return of(FALLBACK_VALUE);
  };
  const isResult = (): boolean => {
    inj.maybeThrow('isResult');
    return true;
  };
  const cancelled = new Set<number>();
  let n = 0;
  let clockFaults = 0;

  for (const step of steps) {
    n += 1;
    // The scheduler's clock misbehaves at the next reading, sometimes.
    const clockFault = inj.clockFault();
    if (clockFault !== undefined) {
      r.clock.faults.push(clockFault);
      clockFaults += 1;
    }
    switch (step.t) {
      case 'start':
        r.start(step.options, { isResult, ...(step.options.fallback ? { fallback } : {}) });
        break;
      case 'advance':
        r.clock.advance(step.ms);
        break;
      case 'manual':
        r.breaker[step.command]();
        break;
      case 'openFor':
        r.breaker.openFor(step.ms);
        break;
      case 'stepBack':
        r.clock.set(Math.max(0, r.clock.time - step.ms));
        break;
      case 'execute':
      case 'restore':
      case 'glitch':
      case 'dispose':
      case 'watch':
      case 'clock':
        break;
      default: {
        const active = r.calls
          .map((c, i) => [c, i] as const)
          .filter(([c]) => !c.subscription.closed);
        if (active.length === 0) break;
        const [call, i] = active[step.k % active.length]!;
        if (step.t === 'complete') call.source.complete();
        else if (step.t === 'fail') call.source.error(errorFor(step, n));
        else if (step.t === 'cancel') {
          cancelled.add(i);
          call.subscription.unsubscribe();
        } else call.source.next(n);
        if (step.t === 'complete' || step.t === 'fail') expect(call.subscription.closed).toBe(true);
      }
    }

    // The breaker stays valid.
    const info = r.breaker.info();
    expect(STATES).toContain(info.state);
    expect(r.states[r.states.length - 1]).toBe(info.state);
    for (let i = 1; i < r.states.length; i++) expect(r.states[i]).not.toBe(r.states[i - 1]);
    for (const v of [
      info.changedAt,
      info.reopens,
      info.consecutiveFailures,
      info.notPermittedCount,
    ]) {
      expect(Number.isFinite(v) && v >= 0).toBe(true);
    }
    // Every subscriber that is done got exactly one terminal notification, as its last one.
    r.calls.forEach((c, i) => {
      const terminals = c.notes.filter((note) => note[0] !== 'N').length;
      const expected = c.subscription.closed && !cancelled.has(i) ? 1 : 0;
      expect(terminals).toBe(expected);
      if (expected === 1) expect(c.notes[c.notes.length - 1]![0]).not.toBe('N');
    });
  }

  // Rejected listener promises are reported once they settle; RxJS reports on a zero timeout.
  await new Promise((resolve) => setTimeout(resolve, 0));
  inj.on = false;
  const clockRead = clockFaults - r.clock.faults.length;
  r.clock.faults.length = 0;

  // A clock fault is reported once until the clock recovers: at least one report if any faulty
  // reading happened, never more than the faulty readings; its time is never stored.
  const scheduler = reported.filter((x) => x.source === 'scheduler');
  expect(scheduler.length).toBeLessThanOrEqual(clockRead);
  if (clockRead > 0) expect(scheduler.length).toBeGreaterThan(0);
  for (const x of scheduler) expect(x.error).toBeInstanceOf(Error);

  // Every fault reached onError, with its source; nothing else was reported but the NaN waits.
  for (const f of inj.thrown.filter((t) => t.source !== 'fallback')) {
    expect(reported).toContainEqual({ error: f, source: f.source });
  }
  const others = reported.filter((x) => !(x.error instanceof Fault) && x.source !== 'scheduler');
  expect(others).toHaveLength(inj.nonsense);
  for (const x of others) {
    expect(x).toEqual({ error: expect.any(TypeError), source: 'retry' });
  }
  for (const x of reported) {
    if (x.error instanceof Fault) expect(x.source).toBe(x.error.source);
  }
  // A fallback's fault goes to its subscriber, as its terminal error.
  const errors = r.calls.flatMap((c) => c.notes.filter((note) => note[0] === 'E').map((e) => e[1]));
  for (const f of inj.thrown.filter((t) => t.source === 'fallback')) {
    expect(errors.filter((e) => e === f)).toHaveLength(1);
  }
  expect(transitionsSeen).toBe(r.transitions.length);
  expect(unhandled).toEqual([]);
  // A late `complete` after take(1) has unsubscribed is RxJS's own (`of(1).pipe(take(1))` does it
  // too); a late value or error would mean a second notification.
  expect(stopped.filter((x) => (x as { kind?: string }).kind !== 'C')).toEqual([]);

  // Once the faults stop, a reset breaker behaves exactly as the reference model of a new one.
  for (const c of r.calls) c.subscription.unsubscribe();
  r.breaker.forceOpen();
  r.breaker.reset();
  random = seeded(spec.seed);
  // The model takes over the breaker's clock as it is (stepped back, maybe) and its generation.
  const model = new ReferenceModel(spec, NAME, r.clock.time, {
    offset: r.breaker.now() - r.clock.time,
    generation: r.breaker.toJSON().generation,
  });
  const offsets = offsetsNow(r);
  agree(model, r, offsets);
  for (const step of after) {
    applyStep(model, r, step, offsets);
    agree(model, r, offsets);
  }
}

describe('fault injection (SPEC 2.8)', () => {
  test('user code that throws at random never breaks the breaker (200 sequences)', async () => {
    await fc.assert(
      fc.asyncProperty(
        probingSpecArb,
        fc.constantFrom(0.05, 0.2, 0.5),
        fc.integer(),
        // 'medium': fast-check's default size would stop at about 10 steps.
        fc.array(fc.oneof(...stepArbs, openForStepArb, stepBackStepArb), {
          minLength: 1,
          maxLength: 60,
          size: 'medium',
        }),
        fc.array(fc.oneof(...callStepArbs), { maxLength: 30, size: 'medium' }),
        run,
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 200) },
    );
  }, 60_000);

  test('with onError unset, a fault goes to console.error and the call still completes', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const inj = new Injector(1, 1);
      const r = new RealSystem(
        { name: NAME, tracker: faultyTracker({ tracks: () => true }, inj) },
        0,
      );
      const call = r.start({ successOnValue: false, take1: false, fallback: false });
      const error = new Error('source failed');
      call.source.error(error);
      expect(call.notes).toEqual([['E', error]]);
      expect(spy).toHaveBeenCalledWith(
        `rxjs-fluxgate: the tracker of circuit breaker '${NAME}' threw`,
        inj.thrown[0],
      );
      // A throwing tracker counts the error as a failure (the library's documented choice).
      expect(r.breaker.info().metrics.failureCount).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });
});
