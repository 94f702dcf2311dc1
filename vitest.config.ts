import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["wsgen-source"] },
  ssr: { resolve: { conditions: ["wsgen-source"] } },
  test: {
    include: ["tests/**/*.test.ts"],
    reporters: ["default", "./tests/support/summary-reporter.ts"],
    globalSetup: ["./tests/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
