import { defineConfig } from "vitest/config";

// Tests spawn real worker_threads running dist/ (the worker entry is compiled JS): run `tsc -b` first
// (turbo's test task depends on build). Files run one at a time: the machine has 2 cores and the
// collectives' ranks need them.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
  },
});
