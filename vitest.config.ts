import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each test file gets its own database cloned from a migrated template, so files run in
    // parallel without seeing each other's rows. Two cores: two workers.
    pool: 'forks',
    maxWorkers: 2,
    // A limit, not a speed check: CLI spawns and property runs take long on a loaded 2-core machine.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
