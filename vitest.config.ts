import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "generator/*/test/**/*.test.ts",
      "generator/*/src/**/*.test.ts",
      "services/*/test/**/*.test.ts",
      "services/*/src/**/*.test.ts",
      "eslint/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Broker tests isolate themselves with per-run queue prefixes, so files may run in parallel.
    fileParallelism: true,
  },
});
