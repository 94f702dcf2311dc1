/**
 * Review of issue 14 (package split, zod check, dashed modules, client
 * credentials): each case states what a user is promised and fails while the
 * promise is broken.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { createProject, REPO_ROOT, twoModuleFiles, writeFiles } from "./support/project.js";

describe("README: every import it shows resolves in an installed project", () => {
  it("names only entry points the packages export", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const runtime = JSON.parse(readFileSync(join(REPO_ROOT, "packages/wsgen/package.json"), "utf8")) as { exports: object };
    const cli = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { exports: object };
    const exported = new Set([
      ...Object.keys(runtime.exports).map((key) => key.replace(/^\./, "wsgen")),
      ...Object.keys(cli.exports).map((key) => key.replace(/^\./, "@wsgen/cli")),
    ]);
    const named = [...readme.matchAll(/from\s+"((?:@wsgen\/cli|wsgen)(?:\/[\w-]+)?)"/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((specifier) => !exported.has(specifier!))).toEqual([]);
  });
});

describe("zod 4 mini schemas (zod/mini is zod 4)", () => {
  it("generate accepts zod/mini models, or refuses them with one clear message instead of a wall of TS2740", async () => {
    const root = createProject("zod-mini", {
      ...twoModuleFiles,
      "src/models/broker.ts": [
        'import { z } from "zod/mini";',
        "export const OrderSubscriptionRequest = z.object({ accountId: z.string() });",
        "export type OrderSubscriptionRequest = z.infer<typeof OrderSubscriptionRequest>;",
        "export const PlacedOrder = z.object({ id: z.string(), symbol: z.string(), qty: z.number() });",
        "export type PlacedOrder = z.infer<typeof PlacedOrder>;",
        "const PositionModel = z.object({ symbol: z.string(), qty: z.number() });",
        "type PositionModel = z.infer<typeof PositionModel>;",
        "export { PositionModel as Position };",
        "",
      ].join("\n"),
    });
    const result = await runCli(root, ["generate", "--no-lint", "--no-format"]);
    if (result.code !== 0) {
      expect(result.stderr).not.toMatch(/TS2740|TS2344/);
      expect(result.stderr).toMatch(/zod\/mini/);
    }
  }, 60_000);
});

describe("the zod check and the generate cache", () => {
  it("a project whose zod became zod 3 since the last generate is refused, not answered 'unchanged' from the cache", async () => {
    const root = createProject("zod-after-cache", { ...twoModuleFiles, "node_modules/.keep": "" });
    const first = await runCli(root, ["generate", "--no-lint"]);
    expect(first.code, first.stderr).toBe(0);
    // The lockfile moved zod to 3 (package.json untouched, e.g. "zod": ">=3.23"): the project now resolves zod 3.
    writeFiles(root, {
      "node_modules/zod/package.json": JSON.stringify({ name: "zod", version: "3.23.8", main: "index.js" }),
      "node_modules/zod/index.js": "module.exports = {};\n",
    });
    const again = await runCli(root, ["generate", "--no-lint"]);
    expect(again.stderr).toContain("wsgen needs zod 4. [ERR_ZOD_VERSION]");
    expect(again.code).toBe(2);
  }, 60_000);
});
