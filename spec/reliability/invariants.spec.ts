/**
 * Invariants of the breaker as fast-check properties, checked after every step of random sequences
 * against the real breaker alone (no model): what must hold whatever the configuration.
 */
import fc from 'fast-check';
import {
  breakerSpecArb,
  buildConfig,
  probingSpecArb,
  reentrantSpecArb,
  type BreakerSpec,
} from '../model/config-spec';
import { RealSystem } from '../model/real-system';
import {
  MANUAL_TARGET,
  callStepArbs,
  clockModeStepArb,
  errorFor,
  openForStepArb,
  stepArbs,
  stepBackStepArb,
  type Step,
} from '../model/steps';
import { RecordingWindow, recount, totalsOf } from './recording-window';

/** What the test knows of each call from the outside. */
interface CallFacts {
  /** The breaker's generation when it was admitted; undefined if refused. */
  readonly generation: number | undefined;
  readonly trial: boolean;
  readonly passThrough: boolean;
  outcomes: number;
}

const OUTCOMES = new Set(['success', 'failure', 'ignored', 'cancelled']);

function run(spec: BreakerSpec, start: number, steps: Step[]): void {
  const config = buildConfig(spec);
  const window = new RecordingWindow(config.window!);
  const r = new RealSystem({ ...config, window, name: 'inv' }, start, {
    reentry: spec.reentry,
    reports: true,
  });
  const facts: CallFacts[] = [];
  const generation = () => r.breaker.toJSON().generation;
  let changedAt = r.breaker.info().changedAt;
  let n = 0;

  for (const step of steps) {
    n += 1;
    r.beginStep();
    const eventsBefore = r.events.length;
    const generationBefore = generation();
    const recordsBefore = window.records;
    let target: CallFacts | undefined;

    switch (step.t) {
      case 'start': {
        const call = r.start(step.options);
        const rejected = r.events.slice(eventsBefore).some((e) => e.type === 'rejected');
        const state = r.breaker.state;
        facts.push({
          generation: rejected ? undefined : generation(),
          trial: !rejected && state === 'half_open',
          passThrough: !rejected && state === 'disabled',
          outcomes: 0,
        });
        // A refused call never reaches its source.
        expect(call.source.observed).toBe(!rejected);
        break;
      }
      case 'advance':
        r.clock.advance(step.ms);
        break;
      case 'manual':
        r.breaker[step.command]();
        // A re-entrant listener may move it on.
        if (spec.reentry === undefined) expect(r.breaker.state).toBe(MANUAL_TARGET[step.command]);
        break;
      case 'openFor':
        r.breaker.openFor(step.ms);
        if (spec.reentry === undefined) {
          expect(r.breaker.state).toBe('open');
          expect(r.breaker.toJSON().retryWait).toBe(step.ms);
        }
        break;
      case 'clock':
        r.clock.mode = step.mode;
        break;
      case 'stepBack':
        r.clock.set(Math.max(0, r.clock.time - step.ms));
        break;
      case 'execute':
      case 'restore':
      case 'glitch':
      case 'dispose':
      case 'watch':
        break;
      default: {
        const active = r.calls
          .map((c, i) => [c, i] as const)
          .filter(([c]) => !c.subscription.closed);
        if (active.length === 0) continue;
        const [call, i] = active[step.k % active.length]!;
        target = facts[i]!;
        if (step.t === 'complete') call.source.complete();
        else if (step.t === 'fail') call.source.error(errorFor(step, n));
        else if (step.t === 'cancel') call.subscription.unsubscribe();
        else call.source.next(n);
      }
    }

    const events = r.events.slice(eventsBefore);
    const outcomes = events.filter((e) => OUTCOMES.has(e.type));
    const recorded = window.records - recordsBefore;
    if (target === undefined) {
      // Starting a call, time and commands record nothing.
      expect(outcomes).toEqual([]);
      expect(recorded).toBe(0);
    } else {
      // Exactly one outcome per admitted call, none for a call passed through in `disabled`.
      expect(outcomes.length).toBeLessThanOrEqual(1);
      target.outcomes += outcomes.length;
      expect(target.outcomes).toBeLessThanOrEqual(target.passThrough ? 0 : 1);
      const outcome = outcomes[0];
      // Only successes and failures of current calls are recorded: never a rejected, cancelled,
      // ignored or stale outcome.
      const recordable =
        outcome !== undefined &&
        (outcome.type === 'success' || outcome.type === 'failure') &&
        target.generation === generationBefore;
      expect(recorded).toBe(recordable ? 1 : 0);
    }
    // A call whose subscriber is done has had its outcome (unless refused or passed through).
    r.calls.forEach((c, i) => {
      const f = facts[i]!;
      if (c.subscription.closed && f.generation !== undefined && !f.passThrough) {
        expect(f.outcomes).toBe(1);
      }
    });

    // At most one terminal notification per subscriber, and nothing after it.
    for (const c of r.calls) {
      const terminal = c.notes.findIndex((note) => note[0] !== 'N');
      expect(terminal === -1 || terminal === c.notes.length - 1).toBe(true);
    }

    // Trials in flight never exceed maxHalfOpenCalls.
    if (r.breaker.state === 'half_open') {
      const inFlight = facts.filter(
        (f) => f.trial && f.generation === generation() && f.outcomes === 0,
      ).length;
      expect(inFlight).toBeLessThanOrEqual(spec.maxHalfOpenCalls);
    }

    // state$ never repeats a state; transitions$ and state$ tell the same story.
    for (let i = 1; i < r.states.length; i++) expect(r.states[i]).not.toBe(r.states[i - 1]);
    expect(r.states.slice(1)).toEqual(r.transitions.map((t) => t.to));

    // Only what the configuration makes fail is reported: the clock, the re-entrant retry and
    // listener (their throws, or their commands' consequences, never anything else).
    for (const source of r.reports) expect(['scheduler', 'retry', 'listener']).toContain(source);

    // transitions$ reads as a chain, however user code re-entered.
    for (let i = 1; i < r.transitions.length; i++) {
      expect(r.transitions[i]!.from).toBe(r.transitions[i - 1]!.to);
    }

    // changedAt never goes backwards, even when the clock does; it is never ahead of now.
    const info = r.breaker.info();
    const now = r.breaker.now();
    expect(info.changedAt).toBeLessThanOrEqual(now);
    expect(info.changedAt).toBeGreaterThanOrEqual(changedAt);
    changedAt = info.changedAt;

    // The window's totals equal a brute-force recount of what it should hold.
    const expected = totalsOf(recount(spec.window, window.log, now), window.thresholds);
    expect({
      totalCount: info.metrics.totalCount,
      failureCount: info.metrics.failureCount,
      totalDuration: info.metrics.totalDuration,
      slowCounts: info.metrics.slowCounts,
    }).toEqual(expected);
  }
}

describe('invariants of the breaker (random configurations and sequences)', () => {
  const faultsAndOpenFor = [openForStepArb, clockModeStepArb, stepBackStepArb];
  test.each([
    ['any configuration, with manual commands', breakerSpecArb, stepArbs],
    ['configurations that open and probe soon', probingSpecArb, callStepArbs],
    [
      'with re-entrant user code, openFor and a clock that fails or steps back',
      reentrantSpecArb,
      [...stepArbs, ...faultsAndOpenFor],
    ],
  ] as const)('%s (120 sequences)', (_name, specs, steps) => {
    fc.assert(
      fc.property(
        specs,
        fc.integer({ min: 0, max: 100_000 }),
        // 'medium': fast-check's default size would stop at about 12 steps.
        fc.array(fc.oneof(...steps), { minLength: 1, maxLength: 80, size: 'medium' }),
        run,
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 120) },
    );
  });

  test('the recount itself: a time window drops a bucket once duration has passed', () => {
    const log = [
      { at: 0, failure: true, duration: 5 },
      { at: 150, failure: false, duration: 200 },
    ];
    const spec = { kind: 'time', duration: 250, bucket: 100 } as const;
    expect(recount(spec, log, 199)).toHaveLength(2);
    expect(recount(spec, log, 200)).toEqual([log[1]]);
    expect(totalsOf(recount(spec, log, 200), [100, 300])).toEqual({
      totalCount: 1,
      failureCount: 0,
      totalDuration: 200,
      slowCounts: { 100: 1, 300: 0 },
    });
    expect(recount({ kind: 'count', size: 1 }, log, 0)).toEqual([log[1]]);
  });
});
