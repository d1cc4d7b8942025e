import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'scenarios/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Live-lab and kubectl suites share one machine's network namespaces and ports; files run in
    // parallel workers but each file gets its own control planes and namespace prefixes.
    pool: 'forks',
    reporters: ['default'],
  },
});
