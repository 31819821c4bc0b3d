// @ts-check
/**
 * Mutation testing (`npm run mutation`): StrykerJS with the Jest runner over the state machine, the
 * components, the operator, the breaker and the registry (`--mutate` narrows it to one folder). It
 * runs the unit, model-based, invariant and fault-injection specs
 * (not the load, leak, packaging or integration ones) with fewer random sequences per property; see
 * spec/reliability/mutation-setup.ts. Too slow for CI; the scores per folder are in docs/contributing.md.
 */
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  packageManager: 'npm',
  testRunner: 'jest',
  coverageAnalysis: 'perTest',
  // Mutants in code that runs at import time (option lists, constants) run the whole suite each.
  // They are few, and a spec that loads a second copy of the package runs that code inside a test,
  // which would otherwise make such a mutant look covered by that one test alone.
  ignoreStatic: false,
  mutate: [
    'src/state/**/*.ts',
    'src/components/**/*.ts',
    'src/operators/**/*.ts',
    'src/breaker/**/*.ts',
    'src/registry/**/*.ts',
  ],
  jest: {
    projectType: 'custom',
    enableFindRelatedTests: false,
    // The Jest config below is complete: package.json has none, so jest.config.js, whose three
    // projects would run every spec once per project, is not read.
    configFile: 'package.json',
    config: {
      testEnvironment: 'node',
      rootDir: '.',
      roots: ['<rootDir>/spec'],
      testMatch: [
        '<rootDir>/spec/{breaker,components,operators,state,registry,model}/**/*.spec.ts',
        '<rootDir>/spec/errors.spec.ts',
        '<rootDir>/spec/reliability/invariants.spec.ts',
      ],
      setupFiles: ['<rootDir>/spec/reliability/mutation-setup.ts'],
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          { tsconfig: { module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true } },
        ],
      },
      moduleNameMapper: { '^rxjs-fluxgate$': '<rootDir>/src/index.ts' },
    },
  },
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 90, low: 85, break: null },
  concurrency: 2,
  timeoutMS: 20000,
  tempDirName: '.stryker-tmp',
};
export default config;
