import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the Worker bundle once; worker tests run it in workerd through Miniflare.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Most of a worker test's time is waiting (R2's one-write-a-second slots, job steps, polls), not
    // CPU: four files at once on two cores keep the suite well under a quarter of an hour.
    maxWorkers: 4,
  },
});
