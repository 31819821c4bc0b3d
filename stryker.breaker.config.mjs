// @ts-check
/**
 * Mutation testing of `src/breaker` alone (`npm run mutation:breaker`). Every mutant there is
 * reached by nearly every spec, so each one runs most of the selected suite. This config keeps
 * the example-based specs that judge the breaker (its own, the components', the operator's, the
 * invariants and the errors) and leaves out the model-based test: the score is what the examples
 * alone achieve, a lower bound of the suite's. A hanging mutant gets 5 s over three times its
 * normal run. About 30 minutes on 2 cores (828 mutants); a line range narrows it
 * (`--mutate src/breaker/circuit-breaker.ts:1-540`).
 */
import process from 'node:process';
import base from './stryker.config.mjs';

process.env.FC_RUNS ??= '20';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  ...base,
  mutate: ['src/breaker/**/*.ts'],
  jest: {
    ...base.jest,
    config: {
      ...base.jest?.config,
      testMatch: [
        '<rootDir>/spec/{breaker,components,operators}/**/*.spec.ts',
        '<rootDir>/spec/reliability/invariants.spec.ts',
        '<rootDir>/spec/errors.spec.ts',
      ],
    },
  },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/breaker.html' },
  jsonReporter: { fileName: 'reports/mutation/breaker.json' },
  timeoutMS: 5000,
  timeoutFactor: 3,
  tempDirName: '.stryker-tmp-breaker',
};
export default config;
