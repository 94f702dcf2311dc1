/**
 * `wsgen check` (the CI drift check), stale-file removal, and `--watch`,
 * on temporary projects, partly as real processes.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "./support/cli.js";
import { createProject, REPO_ROOT, snapshotTree, twoModuleFiles } from "./support/project.js";
import { eventually } from "./support/server.js";

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
          readFileSync(join(root, ORDER), "utf8").replace('static readonly route = "order";', 'static readonly route = "hacked";'),
        ),
      ({ code, stdout }) => {
        expect(code).toBe(1);
        expect(stdout).toContain(`--- a/${ORDER}\ton disk`);
        expect(stdout).toContain(`+++ b/${ORDER}\tgenerated`);
        expect(stdout).toContain('-  static readonly route = "hacked";');
        expect(stdout).toContain('+  static readonly route = "order";');
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

describe("wsgen generate --watch", () => {
  it("regenerates when ws.ts changes, as a real process", async () => {
    const project = createProject("watch", twoModuleFiles);
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/wsgen.js"), "generate", "--watch", "--no-lint", "--json"], {
      cwd: project,
      env: { ...process.env, NO_COLOR: "1" },
    });
    const runs: { exitCode: number }[] = [];
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) if (line.trim().startsWith("{")) runs.push(JSON.parse(line) as { exitCode: number });
    });
    try {
      await eventually(() => runs.length === 1, 30_000, "first run");
      expect(runs[0]?.exitCode).toBe(0);
      const ws = join(project, "src/modules/broker/ws.ts");
      writeFileSync(ws, `${readFileSync(ws, "utf8")}\nexport type FillWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`);
      await eventually(() => existsSync(join(project, "src/modules/broker/ws_generated/fill-ws-router.ts")), 30_000, "regenerated router");
      // A change in an imported model file reruns too.
      const models = join(project, "src/models/broker.ts");
      writeFileSync(models, `${readFileSync(models, "utf8")}\n// touched\n`);
      await eventually(() => runs.length >= 3, 30_000, "rerun after a model change");
      // A broken ws.ts fails a run; fixing it reruns (the watch survives the failure).
      const good = readFileSync(ws, "utf8");
      const before = runs.length;
      writeFileSync(ws, `${good}\nexport type = ;\n`);
      await eventually(() => runs.length > before && runs.at(-1)?.exitCode === 2, 30_000, "failing run");
      const failed = runs.length;
      writeFileSync(ws, good);
      await eventually(() => runs.length > failed && runs.at(-1)?.exitCode === 0, 30_000, "recovered run");
    } finally {
      child.kill("SIGTERM");
    }
  }, 90_000);
});
