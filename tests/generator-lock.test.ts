/**
 * The write lock, as separate processes: concurrent runs on one project
 * never leave a mixed or partial ws_generated/, and the lock is released.
 * Each test's runs get their own temp folder (TMPDIR), where the lock lives.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnCli, type CliRun } from "./support/cli.js";
import { createProject, REPO_ROOT, twoModuleFiles } from "./support/project.js";
import { expectConsistent } from "./support/output.js";

const BROKER = "src/modules/broker/ws.ts";
const OUT = "src/modules/broker/ws_generated";

/** Starts the CLI with `env`; `spawned` resolves once the process exists, `done` when it has exited. */
function startCli(cwd: string, args: string[], env: NodeJS.ProcessEnv): { spawned: Promise<void>; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [join(REPO_ROOT, "bin/wsgen.js"), ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  const done = new Promise<CliRun>((resolve) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return { spawned, done };
}

/** Replaces `path` in one rename, so a run reading it meanwhile sees the old or the new text, never a part. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.next`, text);
  renameSync(`${path}.next`, path);
}

/** This test's own temp folder, given to its runs as TMPDIR (the write lock lives there). */
let temp: string | undefined;
afterEach(() => {
  if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
  temp = undefined;
});

describe("concurrent runs", () => {
  it("serialize their writes: every run exits 0 and the folder is one run's complete output", async () => {
    const root = createProject("concurrent", twoModuleFiles);
    temp = mkdtempSync(join(tmpdir(), "wsgen-lock-test-"));
    const env = { TMPDIR: temp };
    const extra = `${twoModuleFiles[BROKER]}\nexport type FillWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`;
    const runs: Promise<CliRun>[] = [];
    for (let i = 0; i < 6; i++) {
      // The declarations change between starts, so the runs disagree about the output.
      replaceFile(join(root, BROKER), i % 2 === 0 ? twoModuleFiles[BROKER]! : extra);
      const run = startCli(root, ["generate", "--no-lint", "--no-typecheck"], env);
      runs.push(run.done);
      await run.spawned;
    }
    const results = await Promise.all(runs);
    for (const result of results) expect([result.code, result.stderr]).toEqual([0, ""]);
    expectConsistent(root, OUT);
    // Whatever run wrote last, the lock is released and a later run can settle the output.
    expect(readdirSync(temp).filter((name) => name.startsWith("wsgen-") && name.endsWith(".lock"))).toEqual([]);
    expect((await spawnCli(root, ["generate", "--no-lint", "--no-typecheck"], env)).code).toBe(0);
    expect((await spawnCli(root, ["check"], env)).code).toBe(0);
  }, 60_000);
});
