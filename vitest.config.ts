import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // most of a test's time is spent waiting for PostgreSQL and child processes, not on a core:
    // three files at once on two cores (vitest's default would be one)
    maxWorkers: 3,
    allowOnly: false,
  },
});
