import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lab tests start sshd processes and share loopback addresses: run test files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    snapshotFormat: { escapeString: false, printBasicPrototype: false },
  },
});
