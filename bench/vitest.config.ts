import { defineConfig } from 'vitest/config';

// `npm run bench` runs the apply benchmark through vitest because its lab is the test suite's.
export default defineConfig({
  test: { include: ['bench/**/*.lab.ts'], testTimeout: 600_000, hookTimeout: 300_000 },
});
