/** Config files other than wsgen.config.json: .mjs and .ts exporting defineConfig({...}). */
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { createProject, twoModuleFiles } from "./support/project.js";

describe("config files", () => {
  it.each([
    [
      "wsgen.config.mjs",
      'import { defineConfig } from "@wsgen/cli/config";\nexport default defineConfig({ modulesDir: "src/modules", gates: { lint: false } });\n',
    ],
    [
      "wsgen.config.ts",
      'import { defineConfig } from "@wsgen/cli/config";\nconst modulesDir: string = "src/modules";\nexport default defineConfig({ modulesDir, gates: { lint: false } });\n',
    ],
  ])("reads %s exporting defineConfig({...})", async (name, text) => {
    const files = { ...twoModuleFiles, [name]: text };
    delete files["wsgen.config.json"];
    const root = createProject("config", files);
    const result = await runCli(root, ["generate", "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).timings).not.toHaveProperty("lint");
  });
});
