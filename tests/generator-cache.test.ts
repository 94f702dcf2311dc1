/**
 * The no-change shortcut: a rerun whose inputs and outputs are exactly as the
 * last successful generate left them answers from the cache (no ts-morph, no
 * gates); any change to a source, a generated file, a tool config or the
 * requested gates falls back to the full pipeline.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { cachePath } from "../src/generator/cache.js";
import { runCli } from "./support/cli.js";
import { createProject, twoModuleFiles } from "./support/project.js";

type Result = { exitCode: number; timings: Record<string, number>; modules: { name: string; files: { path: string; status: string }[] }[] };
const json = async (root: string, args: string[]): Promise<Result> =>
  JSON.parse((await runCli(root, [...args, "--json"])).stdout) as Result;
const fromCache = (result: Result): boolean => "cache" in result.timings && !("load" in result.timings);

let root: string;
beforeEach(async () => {
  root = createProject("cache", {
    ...twoModuleFiles,
    "wsgen.config.json": JSON.stringify({ modulesDir: "src/modules", gates: { lint: false } }),
  });
  expect((await json(root, ["generate"])).exitCode).toBe(0);
}, 30_000);

describe("generate cache", () => {
  it("answers a no-change rerun and check from the cache, with every file unchanged", async () => {
    const again = await json(root, ["generate"]);
    expect(fromCache(again)).toBe(true);
    expect(again.modules.flatMap((module) => module.files.map((file) => file.status))).toEqual(Array(5).fill("unchanged"));
    const check = await json(root, ["check"]);
    expect([check.exitCode, fromCache(check)]).toEqual([0, true]);
  });

  it("runs the pipeline again when a model file changes", async () => {
    writeFileSync(join(root, "src/models/datafeed.ts"), `${twoModuleFiles["src/models/datafeed.ts"]}// touched\n`);
    const result = await json(root, ["generate"]);
    expect([result.exitCode, fromCache(result)]).toEqual([0, false]);
    expect(fromCache(await json(root, ["generate"]))).toBe(true);
  });

  it("sees an edited or an extra generated file: check reports drift", async () => {
    writeFileSync(join(root, "src/modules/broker/ws_generated/order-ws-router.ts"), "// edited\n");
    const edited = await json(root, ["check"]);
    expect([edited.exitCode, fromCache(edited)]).toEqual([1, false]);
    expect((await json(root, ["generate"])).exitCode).toBe(0);
    writeFileSync(join(root, "src/modules/broker/ws_generated/extra.ts"), "export {};\n");
    const extra = await json(root, ["check"]);
    expect(extra.exitCode).toBe(1);
    expect(extra.modules.flatMap((module) => module.files)).toContainEqual({
      path: "src/modules/broker/ws_generated/extra.ts",
      status: "stale",
    });
  });

  it("runs again when a tool config changes", async () => {
    writeFileSync(join(root, ".prettierrc.json"), JSON.stringify({ printWidth: 80 }));
    const result = await json(root, ["generate"]);
    expect(fromCache(result)).toBe(false);
  });

  it("does not let a run with fewer gates stand for one with more", async () => {
    const sameGates = await json(root, ["generate", "--config", "wsgen.config.json"]);
    expect(fromCache(sameGates)).toBe(true); // the gates recorded: lint off in the config
    writeFileSync(join(root, "wsgen.config.json"), JSON.stringify({ modulesDir: "src/modules" }));
    const fuller = await json(root, ["generate"]);
    expect(fromCache(fuller)).toBe(false);
    expect(fuller.timings).toHaveProperty("lint");
  }, 30_000);

  it("does not let an unformatted generate answer for check", async () => {
    rmSync(cachePath(root), { force: true });
    expect(fromCache(await json(root, ["generate", "--no-format"]))).toBe(false);
    // The record says "not formatted"; check formats, so it must really render and compare.
    const check = await json(root, ["check"]);
    expect(fromCache(check)).toBe(false);
    expect(check.timings).toHaveProperty("format");
  });

  it("is bypassed with WSGEN_CACHE=0", async () => {
    process.env.WSGEN_CACHE = "0";
    try {
      expect(fromCache(await json(root, ["generate"]))).toBe(false);
    } finally {
      delete process.env.WSGEN_CACHE;
    }
  });
});
