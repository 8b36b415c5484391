import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // builds the addon and dist/ first (incremental), so the tests never run
    // against a stale build
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
  },
});
