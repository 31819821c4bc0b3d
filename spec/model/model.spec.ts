/**
 * Model-based test: random configurations and random sequences of calls, outcomes, time and manual
 * commands drive the real breaker and the reference model side by side; after every step the state,
 * `info()`, every subscriber's notifications, `events$`, `transitions$` and `state$` must agree.
 *
 * A failure prints fast-check's seed and the shrunk sequence; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> npx jest spec/model`; `FC_RUNS=<n>` runs more sequences.
 */
import fc from 'fast-check';
import { breakerSpecArb, buildConfig, probingSpecArb, type BreakerSpec } from './config-spec';
import { ReferenceModel } from './reference-model';
import { RealSystem } from './real-system';
import { MANUAL_TARGET, callStepArbs, errorFor, stepArbs, targetsCall, type Step } from './steps';

const NAME = 'model';

interface ModelState {
  readonly model: ReferenceModel;
}

/** Checks that the real breaker says exactly what the model predicts. */
function agree(m: ReferenceModel, r: RealSystem): void {
  expect(r.breaker.state).toBe(m.state);
  expect(r.breaker.info()).toEqual(m.info());
  expect(r.transitions).toEqual(m.transitions);
  expect(r.states).toEqual(m.states);
  expect(r.events).toEqual(m.events);
  expect(r.calls.map((c) => c.notes)).toEqual(m.calls.map((c) => c.notes));
  expect(r.calls.map((c) => !c.subscription.closed)).toEqual(m.calls.map((c) => c.active));
  expect([...r.eventNames].every((n) => n === NAME)).toBe(true);
}

class StepCommand implements fc.Command<ModelState, RealSystem> {
  constructor(readonly step: Step) {}

  check(s: Readonly<ModelState>): boolean {
    return !targetsCall(this.step) || s.model.activeCalls().length > 0;
  }

  run(s: ModelState, r: RealSystem): void {
    const m = s.model;
    const step = this.step;
    switch (step.t) {
      case 'start':
        m.start(step.options);
        r.start(step.options);
        break;
      case 'advance':
        m.now += step.ms;
        r.clock.advance(step.ms);
        break;
      case 'manual':
        m.command(MANUAL_TARGET[step.command]);
        r.breaker[step.command]();
        break;
      default: {
        const active = m.activeCalls();
        const mc = active[step.k % active.length]!;
        const rc = r.calls[m.calls.indexOf(mc)]!;
        if (step.t === 'complete') {
          m.complete(mc);
          rc.source.complete();
        } else if (step.t === 'fail') {
          const error = errorFor(step, m.events.length);
          m.fail(mc, error);
          rc.source.error(error);
        } else if (step.t === 'cancel') {
          m.cancel(mc);
          rc.subscription.unsubscribe();
        } else {
          const value = `v${m.events.length}`;
          m.next(mc, value);
          rc.source.next(value);
        }
      }
    }
    agree(m, r);
  }

  toString(): string {
    return JSON.stringify(this.step);
  }
}

const replay =
  process.env.FC_SEED === undefined
    ? {}
    : { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true };

/** Runs `numRuns` random sequences of `steps` against random configurations from `specs`. */
function checkAgainstModel(
  specs: fc.Arbitrary<BreakerSpec>,
  steps: fc.Arbitrary<Step>[],
  numRuns: number,
): void {
  const commands = fc.commands(
    steps.map((arb) => arb.map((step) => new StepCommand(step))),
    { maxCommands: 60 },
  );
  fc.assert(
    fc.property(specs, fc.integer({ min: 0, max: 100_000 }), commands, (spec, start, cmds) => {
      const setup = () => {
        const model = new ReferenceModel(spec, NAME, start);
        const real = new RealSystem({ ...buildConfig(spec), name: NAME }, start);
        agree(model, real);
        return { model: { model }, real };
      };
      fc.modelRun(setup, cmds);
    }),
    { numRuns: Number(process.env.FC_RUNS ?? numRuns), ...replay },
  );
}

describe('the breaker agrees with the reference model of SPEC.md', () => {
  test('any configuration, calls, time and manual commands (1,000 sequences)', () => {
    checkAgainstModel(breakerSpecArb, stepArbs, 1000);
  });

  test('configurations that open and probe soon: calls and time only (1,000 sequences)', () => {
    checkAgainstModel(probingSpecArb, callStepArbs, 1000);
  });
});
