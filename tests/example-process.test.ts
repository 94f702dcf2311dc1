/**
 * The example as a newcomer runs it: a real server process (the command
 * behind `npm start`) shut down by SIGTERM, its served documents equal to the
 * committed ones, and the CI drift check catching an edited generated file.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { spawnCli } from "./support/cli.js";
import { startExample, type ExampleProcess } from "./support/example-process.js";
import { createProject, REPO_ROOT } from "./support/project.js";

let example: ExampleProcess;
let base = "";

beforeAll(async () => {
  example = await startExample({ TICK_MS: "20" });
  base = example.base;
}, 40_000);
afterAll(() => example?.stop("SIGKILL"));

describe("the example server process", () => {
  it("prints the URL of every endpoint and docs page", () => {
    for (const path of [
      "/api/v1/datafeed/ws",
      "/api/v1/broker/ws",
      "/api/v1/broker/orders",
      "/api/v1/broker/ws/asyncapi",
      "/api/v1/ws/asyncapi",
    ]) {
      expect(example.output()).toContain(path);
    }
  });

  it("serves the same AsyncAPI documents as the committed spec files", async () => {
    // The delivery policy too: ws.ts declares it (bars, quotes and positions keep their latest value, bars conflate),
    // so `wsgen spec` states what the generated classes apply; only the servers (the live address) differ.
    const strip = (document: Record<string, unknown>) => ({ ...document, servers: undefined });
    for (const [served, committed] of [
      ["/api/v1/broker/ws/asyncapi.json", "examples/trading/src/modules/broker/specs_generated/broker_asyncapi.json"],
      ["/api/v1/datafeed/ws/asyncapi.json", "examples/trading/src/modules/datafeed/specs_generated/datafeed_asyncapi.json"],
      ["/api/v1/ws/asyncapi.json", "generated/asyncapi.json"],
    ] as const) {
      const live = (await (await fetch(`${base}${served}`)).json()) as Record<string, unknown>;
      expect(strip(live), served).toEqual(strip(JSON.parse(readFileSync(join(REPO_ROOT, committed), "utf8")) as Record<string, unknown>));
    }
    // What ws.ts declares, as both documents say it: each route twice (its subscribe and update operations).
    const merged = JSON.stringify(JSON.parse(readFileSync(join(REPO_ROOT, "generated/asyncapi.json"), "utf8")));
    expect(merged.match(/Latest value: a new subscriber gets/g)).toHaveLength(6);
    expect(merged.match(/Lag policy: conflate/g)).toHaveLength(2);
    expect(merged.match(/Lag policy: skip/g)).toHaveLength(8);
  });

  it("shuts down on SIGTERM: clients get 1001, topics are removed, exit 0", async () => {
    const client = await TestClient.connect(`${base.replace("http", "ws")}/api/v1/datafeed/ws`);
    await client.subscribe("bars", { symbol: "AAPL", resolution: "1D" });
    await client.next((frame) => frame.type === "bars.update");
    const exited = example.stop("SIGTERM");
    expect((await client.closed).code).toBe(1001);
    expect(await exited).toBe(0);
    expect(example.output()).toContain("SIGTERM: shutting down");
    expect(example.output()).toContain("closed cleanly");
  }, 20_000);
});

describe("the CI drift check on the example", () => {
  it("passes on the committed files and exits 1 when a generated file is edited in a copy", async () => {
    const copy = createProject("drift", {});
    for (const path of ["wsgen.config.json", "tsconfig.json", ".prettierrc.json", "package.json", "examples/trading", "generated"]) {
      cpSync(join(REPO_ROOT, path), join(copy, path), { recursive: true });
    }
    const clean = await spawnCli(copy, ["check"]);
    expect([clean.code, clean.stdout]).toEqual([0, expect.stringMatching(/up to date/)]);
    const file = join(copy, "examples/trading/src/modules/broker/ws_generated/order-ws-router.ts");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace('static readonly routeName = "orders";', 'static readonly routeName = "order";'),
    );
    const drifted = await spawnCli(copy, ["check"]);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toContain('+  static readonly routeName = "orders";');
  }, 30_000);
});
