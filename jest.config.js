/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: { module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true } },
    ],
  },
  moduleNameMapper: { '^rxjs-fluxgate$': '<rootDir>/src/index.ts' },
  collectCoverageFrom: ['src/**/*.ts'],
};
