/**
 * `wsgen generate --watch` as a real process: reruns when ws.ts or a model
 * it imports changes, and survives a failing run.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createProject, REPO_ROOT, twoModuleFiles } from "./support/project.js";
import { eventually } from "./support/server.js";
import { watchesAll } from "./support/watched.js";

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
      // The result line is printed before the watches are set up: change nothing until they exist.
      const folders = [dirname(ws), join(project, "src/models")];
      await eventually(() => watchesAll(child.pid!, folders), 30_000, "the watches on ws.ts's and the models' folders");
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
