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
    // `wsgen spec` states the default delivery policy (ws.ts declares no route options), while the example's
    // module.ts gives bars, quotes and positions `latestValue: true`: the served documents say so, the committed
    // ones cannot. Everything else is equal; the latest-value sentences are checked against module.ts below.
    const LATEST_VALUE = /Latest value: [^"]*?(?=")/g;
    const strip = (document: Record<string, unknown>) =>
      JSON.parse(JSON.stringify({ ...document, servers: undefined }).replace(LATEST_VALUE, "Latest value: …")) as unknown;
    const latestValueRoutes: Record<string, number> = {};
    for (const [served, committed] of [
      ["/api/v1/broker/ws/asyncapi.json", "examples/trading/src/modules/broker/specs_generated/broker_asyncapi.json"],
      ["/api/v1/datafeed/ws/asyncapi.json", "examples/trading/src/modules/datafeed/specs_generated/datafeed_asyncapi.json"],
      ["/api/v1/ws/asyncapi.json", "generated/asyncapi.json"],
    ] as const) {
      const live = (await (await fetch(`${base}${served}`)).json()) as Record<string, unknown>;
      expect(strip(live)).toEqual(strip(JSON.parse(readFileSync(join(REPO_ROOT, committed), "utf8")) as Record<string, unknown>));
      const sentences = JSON.stringify(live).match(LATEST_VALUE) ?? [];
      latestValueRoutes[served] = sentences.filter((sentence) => !sentence.startsWith("Latest value: not sent")).length;
    }
    // Each route is described twice (its channel and its subscribe operation): datafeed's bars and quotes, broker's
    // positions, and all three in the merged document.
    expect(latestValueRoutes).toEqual({
      "/api/v1/datafeed/ws/asyncapi.json": 4,
      "/api/v1/broker/ws/asyncapi.json": 2,
      "/api/v1/ws/asyncapi.json": 6,
    });
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
