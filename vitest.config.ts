import { defineConfig } from 'vitest/config';

// The test suite is test/; the apply benchmark under bench/ runs only through `npm run bench`.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'] },
});
