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
  testTimeout: 20000
}
