// @ts-check
/**
 * Mutation testing of `src/breaker` alone (`npm run mutation:breaker`). Every mutant there is
 * reached by nearly every spec, so each one runs the whole selected suite: this config keeps the
 * specs that judge the breaker (its own, the components', the operator's, the model-based test,
 * the invariants and the errors), runs 10 random sequences per property instead of 50, and gives
 * a hanging mutant 5 s over three times its normal run. On 2 cores that is about an hour and a
 * half; a mutant's line range can be given as `--mutate src/breaker/circuit-breaker.ts:1-540`.
 */
import process from 'node:process';
import base from './stryker.config.mjs';

process.env.FC_RUNS ??= '10';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  ...base,
  mutate: ['src/breaker/**/*.ts'],
  jest: {
    ...base.jest,
    config: {
      ...base.jest?.config,
      testMatch: [
        '<rootDir>/spec/{breaker,components,operators,model}/**/*.spec.ts',
        '<rootDir>/spec/reliability/invariants.spec.ts',
        '<rootDir>/spec/errors.spec.ts',
      ],
    },
  },
  htmlReporter: { fileName: 'reports/mutation/breaker.html' },
  timeoutMS: 5000,
  timeoutFactor: 3,
  tempDirName: '.stryker-tmp-breaker',
};
export default config;
