/**
 * Three projects: "core" runs every spec under spec/ except spec/angular and spec/browser through
 * ts-jest as CommonJS; "angular" runs spec/angular as native ES modules, because Angular ships ESM
 * only (run Jest with `node --experimental-vm-modules`, as `npm test` does); "browser" runs
 * spec/browser, which drives the live dashboard in Chromium (the app is bundled by the demo's own
 * server, so nothing of src/ is loaded, or measured, here).
 */
const rootDir = __dirname;
const moduleNameMapper = { '^rxjs-fluxgate$': '<rootDir>/src/index.ts' };
/**
 * `FLUXGATE_WITHOUT_LOAD=1` leaves out the load spec (50,000 real HTTP calls): CI runs it on its
 * own, because under `--detectOpenHandles` tracking everything it makes costs it minutes.
 */
const withoutLoad = process.env.FLUXGATE_WITHOUT_LOAD === '1';

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'core',
      coveragePathIgnorePatterns: ['/node_modules/', '<rootDir>/src/angular/'],
      rootDir,
      testEnvironment: 'node',
      roots: ['<rootDir>/spec'],
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/spec/angular/',
        '<rootDir>/spec/browser/',
        ...(withoutLoad ? ['<rootDir>/spec/reliability/load\\.spec\\.ts'] : []),
      ],
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          { tsconfig: { module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true } },
        ],
      },
      moduleNameMapper,
    },
    {
      displayName: 'angular',
      // Coverage of the core comes from the core project; this one measures src/angular only.
      coveragePathIgnorePatterns: ['/node_modules/', '<rootDir>/src/(?!angular/)'],
      rootDir,
      testEnvironment: 'node',
      roots: ['<rootDir>/spec/angular'],
      testMatch: ['**/*.spec.ts'],
      setupFiles: ['<rootDir>/spec/angular/setup.ts'],
      extensionsToTreatAsEsm: ['.ts'],
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          {
            useESM: true,
            tsconfig: { module: 'ESNext', moduleResolution: 'Bundler', isolatedModules: true },
          },
        ],
      },
      moduleNameMapper,
    },
    {
      displayName: 'browser',
      coveragePathIgnorePatterns: ['<rootDir>/'],
      rootDir,
      testEnvironment: 'node',
      roots: ['<rootDir>/spec/browser'],
      testMatch: ['**/*.spec.ts'],
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          { tsconfig: { module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true } },
        ],
      },
    },
  ],
  collectCoverageFrom: ['src/**/*.ts'],
  // Enforced when run with --coverage, as CI does; each project measures its own part of src/.
  coverageThreshold: { global: { statements: 95, branches: 95 } },
};
