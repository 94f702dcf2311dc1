/**
 * `wsgen spec` on a temporary two-module project: each module's AsyncAPI
 * document and the merged one, in 3.0.0 or, on request, 2.6.0.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { createProject, twoModuleFiles } from "./support/project.js";

let root: string;
beforeAll(() => {
  root = createProject("spec", twoModuleFiles);
});

describe("wsgen spec", () => {
  let specRun: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    specRun = await runCli(root, ["spec", "--out", "generated/asyncapi.json"]);
  }, 30_000);

  it("writes each module's document and the merged one, with model names and routes from ws.ts", () => {
    expect(specRun.stderr).toBe("");
    expect(specRun.code).toBe(0);
    const broker = JSON.parse(readFileSync(join(root, "src/modules/broker/specs_generated/broker_asyncapi.json"), "utf8"));
    expect(broker.asyncapi).toBe("3.0.0");
    expect(Object.keys(broker.operations)).toEqual(expect.arrayContaining(["order.subscribe", "positions.subscribe", "positions.update"]));
    expect(Object.keys(broker.components.schemas)).toEqual(expect.arrayContaining(["OrderSubscriptionRequest", "PlacedOrder", "Position"]));
    const merged = JSON.parse(readFileSync(join(root, "generated/asyncapi.json"), "utf8"));
    expect(Object.keys(merged.channels)).toEqual(["broker", "datafeed"]);
    expect(existsSync(join(root, "src/modules/datafeed/specs_generated/datafeed_asyncapi.json"))).toBe(true);
  });

  it("writes 2.6.0 on request", async () => {
    const run = await runCli(root, ["spec", "--modules", "datafeed", "--asyncapi", "2.6.0"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, "src/modules/datafeed/specs_generated/datafeed_asyncapi.json"), "utf8")).asyncapi).toBe(
      "2.6.0",
    );
    expect((await runCli(root, ["spec", "--asyncapi", "9.9.9"])).code).toBe(2);
  });
});
