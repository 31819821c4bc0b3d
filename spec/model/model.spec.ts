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
import { agree, applyStep } from './drive';
import { callStepArbs, stepArbs, targetsCall, type Step } from './steps';

const NAME = 'model';

interface ModelState {
  readonly model: ReferenceModel;
}

class StepCommand implements fc.Command<ModelState, RealSystem> {
  constructor(readonly step: Step) {}

  check(s: Readonly<ModelState>): boolean {
    return !targetsCall(this.step) || s.model.activeCalls().length > 0;
  }

  run(s: ModelState, r: RealSystem): void {
    applyStep(s.model, r, this.step);
    agree(s.model, r);
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
