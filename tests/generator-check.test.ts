/**
 * `wsgen check` (the CI drift check) and stale-file removal, on a temporary
 * project, partly as real processes.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "./support/cli.js";
import { createProject, snapshotTree, twoModuleFiles } from "./support/project.js";

const ORDER = "src/modules/broker/ws_generated/order-ws-router.ts";
let root: string;

beforeAll(async () => {
  root = createProject("check", twoModuleFiles);
  expect((await runCli(root, ["generate", "--no-lint", "--no-typecheck"])).code).toBe(0);
}, 30_000);

/** Runs `body` with a drifted tree, checks that check saw it and wrote nothing, then restores. */
async function withDrift(drift: () => void, expectations: (result: { code: number; stdout: string }) => void): Promise<void> {
  drift();
  const before = snapshotTree(join(root, "src/modules"));
  const result = await spawnCli(root, ["check"]);
  expectations(result);
  expect(snapshotTree(join(root, "src/modules"))).toEqual(before);
  expect((await runCli(root, ["generate", "--no-lint", "--no-typecheck"])).code).toBe(0);
}

describe("wsgen check", () => {
  it("exits 0 when everything is up to date", async () => {
    const result = await spawnCli(root, ["check"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/wsgen check: up to date/);
  });

  it("exits 1 on an edited file, with a unified diff of it", async () => {
    await withDrift(
      () =>
        writeFileSync(
          join(root, ORDER),
          readFileSync(join(root, ORDER), "utf8").replace('static readonly routeName = "order";', 'static readonly routeName = "hacked";'),
        ),
      ({ code, stdout }) => {
        expect(code).toBe(1);
        expect(stdout).toContain(`--- a/${ORDER}\ton disk`);
        expect(stdout).toContain(`+++ b/${ORDER}\tgenerated`);
        expect(stdout).toContain('-  static readonly routeName = "hacked";');
        expect(stdout).toContain('+  static readonly routeName = "order";');
        expect(stdout).toMatch(/1 file\(s\) differ/);
      },
    );
  });

  it("exits 1 on a deleted file, listing it as missing", async () => {
    await withDrift(
      () => rmSync(join(root, ORDER)),
      ({ code, stdout }) => {
        expect(code).toBe(1);
        expect(stdout).toContain(`missing (would be created):\n  ${ORDER}`);
      },
    );
  });

  it("exits 1 on an extra file, listing it as stale; generate then removes it", async () => {
    const extra = "src/modules/broker/ws_generated/old-ws-router.ts";
    await withDrift(
      () => writeFileSync(join(root, extra), "export {};\n"),
      ({ code, stdout }) => {
        expect(code).toBe(1);
        expect(stdout).toContain(`stale (would be removed):\n  ${extra}`);
      },
    );
    expect(existsSync(join(root, extra))).toBe(false);
  });

  it("reports drift as JSON with --json", async () => {
    writeFileSync(join(root, ORDER), "// edited\n");
    const result = await runCli(root, ["check", "--json"]);
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout) as {
      mode: string;
      exitCode: number;
      modules: { name: string; files: { path: string; status: string }[] }[];
    };
    expect(parsed).toMatchObject({ mode: "check", exitCode: 1 });
    expect(parsed.modules.find((module) => module.name === "broker")?.files).toContainEqual(
      expect.objectContaining({ path: ORDER, status: "changed" }),
    );
    expect((await runCli(root, ["generate", "--no-lint", "--no-typecheck"])).code).toBe(0);
  });
});
