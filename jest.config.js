/** Jest runs ESM natively (NODE_OPTIONS=--experimental-vm-modules) through ts-jest. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1'
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }]
  },
  setupFiles: ['<rootDir>/__tests__/support/setup-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/__tests__/support/setup-nock.ts'],
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  collectCoverageFrom: ['src/**/*.ts'],
  testTimeout: 20000,
  // Two workers on a 2-core machine, each restarted when it has grown past 700 MB: a single
  // worker running every file in one process grew to 2 GB and its sockets began to fail.
  maxWorkers: 2,
  workerIdleMemoryLimit: '700MB'
}
