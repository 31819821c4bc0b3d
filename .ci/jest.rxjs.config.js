/**
 * The core test project against another copy of rxjs: `RXJS_DIR=/path/to/node_modules/rxjs`
 * (a folder with rxjs's package.json). Every `rxjs` and `rxjs/...` import of the specs and of src/
 * is mapped there, and a setup file checks the version the tests really load (`RXJS_VERSION`) and
 * writes it to `RXJS_SEEN` for CI to print. The specs that test through child processes (the packed
 * package, the leak checks) load the repository's own rxjs there, and the docs' type check does not run rxjs at
 * all, so they are left out.
 */
const path = require('node:path');
const base = require('../jest.config.js');

const dir = process.env.RXJS_DIR;
if (!dir) throw new Error('.ci/jest.rxjs.config.js: set RXJS_DIR to a folder holding rxjs');
const core = base.projects.find((p) => p.displayName === 'core');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  projects: [
    {
      ...core,
      displayName: 'core (rxjs from RXJS_DIR)',
      moduleNameMapper: {
        ...core.moduleNameMapper,
        '^rxjs$': dir,
        '^rxjs/(.*)$': `${dir}/$1`,
      },
      testPathIgnorePatterns: [
        ...core.testPathIgnorePatterns,
        '<rootDir>/spec/package/',
        '<rootDir>/spec/reliability/leaks',
        '<rootDir>/spec/docs/',
      ],
      setupFiles: [...(core.setupFiles ?? []), path.join(__dirname, 'rxjs-version.js')],
    },
  ],
  coverageThreshold: undefined,
};
