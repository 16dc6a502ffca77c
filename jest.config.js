/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Transpile only (no type check per file): `npm run lint` type-checks the whole tree once.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // Real servers (MariaDB, the Kafka-protocol cluster) are started once for the whole run.
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
