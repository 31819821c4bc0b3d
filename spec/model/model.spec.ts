/**
 * Model-based test: random configurations (with `halfOpenTrials` and `autoHalfOpen` sometimes,
 * and re-entrant user code in the third property) and random sequences of calls, outcomes, time,
 * manual commands, `openFor`, `execute` calls with aborts, restores from `toJSON()`, and a clock
 * that fails or steps back, drive the real breaker and the reference model side by side; after
 * every step the state, `info()`, `toJSON()`, every subscriber's notifications, `events$`,
 * `transitions$`, `state$`, what reached `onError` and the pending `autoHalfOpen` timer must agree.
 *
 * A failure prints fast-check's seed and the shrunk sequence; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> npx jest spec/model`; `FC_RUNS=<n>` runs more sequences.
 */
import fc from 'fast-check';
import {
  breakerSpecArb,
  buildConfig,
  probingSpecArb,
  reentrantSpecArb,
  type BreakerSpec,
} from './config-spec';
import { ReferenceModel } from './reference-model';
import { RealSystem, flush } from './real-system';
import { agree, applyStep } from './drive';
import {
  allStepArbs,
  callStepArbs,
  clockStepArbs,
  executeStepArb,
  lifecycleStepArbs,
  targetsCall,
  watchStepArb,
  type Step,
} from './steps';

const NAME = 'model';

interface ModelState {
  readonly model: ReferenceModel;
}

class StepCommand implements fc.AsyncCommand<ModelState, RealSystem> {
  constructor(readonly step: Step) {}

  check(s: Readonly<ModelState>): boolean {
    return !targetsCall(this.step) || s.model.activeCalls().length > 0;
  }

  async run(s: ModelState, r: RealSystem): Promise<void> {
    const m = s.model;
    const step = this.step;
    if (step.t === 'glitch') {
      // The glitch lasts until the promises its step settled have settled too.
      const mode = m.mode;
      m.mode = r.clock.mode = step.mode;
      applyStep(m, r, step.step);
      await flush();
      m.mode = r.clock.mode = mode;
    } else {
      applyStep(m, r, step);
      // The promises of `execute` calls settle a few microtasks later.
      if (m.calls.some((c) => c.kind === 'execute')) await flush();
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
async function checkAgainstModel(
  specs: fc.Arbitrary<BreakerSpec>,
  steps: fc.Arbitrary<Step>[],
  numRuns: number,
): Promise<void> {
  const commands = fc.commands(
    steps.map((arb) => arb.map((step) => new StepCommand(step))),
    // fast-check's default size ('small') would stop sequences at 10 commands, 5 on average,
    // too short to get through open and half_open and back: 'medium' gives about 30.
    { maxCommands: 60, size: 'medium' },
  );
  await fc.assert(
    fc.asyncProperty(
      specs,
      fc.integer({ min: 0, max: 100_000 }),
      commands,
      async (spec, start, cmds) => {
        const setup = () => {
          const model = new ReferenceModel(spec, NAME, start);
          const real = new RealSystem({ ...buildConfig(spec), name: NAME }, start, {
            reentry: spec.reentry,
            reports: true,
            watchEvents: spec.watchEvents !== false,
          });
          agree(model, real);
          return { model: { model }, real };
        };
        await fc.asyncModelRun(setup, cmds);
      },
    ),
    { numRuns: Number(process.env.FC_RUNS ?? numRuns), ...replay },
  );
}

describe('the breaker agrees with the reference model of SPEC.md', () => {
  test('any configuration, calls, time, commands, restores, execute and clock faults (250 sequences)', async () => {
    await checkAgainstModel(breakerSpecArb, allStepArbs, 250);
  }, 120_000);

  test('configurations that open and probe soon: calls, time and execute (300 sequences)', async () => {
    await checkAgainstModel(probingSpecArb, [...callStepArbs, executeStepArb, watchStepArb], 300);
  }, 120_000);

  test('re-entrant listeners, trippers, onError and retries, with every step (300 sequences)', async () => {
    await checkAgainstModel(
      reentrantSpecArb,
      [...allStepArbs, ...callStepArbs, ...lifecycleStepArbs, ...clockStepArbs],
      300,
    );
  }, 120_000);
});
