/**
 * `wsgen spec` on a temporary two-module project: each module's AsyncAPI
 * document and the merged one, in 3.0.0 or, on request, 2.6.0, formatted
 * with the project's prettier unless it has none or ignores the documents.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { format } from "prettier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { createIsolatedProject, createProject, removeProject, twoModuleFiles, writeFiles } from "./support/project.js";

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

  it("states the delivery policy each route's ws.ts tags declare, else the runtime's defaults", () => {
    const datafeed = JSON.parse(readFileSync(join(root, "src/modules/datafeed/specs_generated/datafeed_asyncapi.json"), "utf8"));
    const bars = datafeed.operations["bars.update"].description as string;
    // The description is the JSDoc text alone: neither the delivery tags nor `@see` are part of it.
    expect(bars).toMatch(/^Bars of one symbol\.\n\nDelivery: /);
    expect(bars).toContain("History: the last 500 updates per topic, at most 65536 bytes, each for 120000 ms.");
    expect(bars).toContain("Latest value: a new subscriber gets the topic's latest update right after its subscribe response");
    expect(bars).toContain("Lag policy: conflate.");
    expect(datafeed.operations["bars.subscribe"].description).toBe(bars);
    const broker = JSON.parse(readFileSync(join(root, "src/modules/broker/specs_generated/broker_asyncapi.json"), "utf8"));
    const order = broker.operations["order.update"].description as string;
    expect(order).toContain("History: the last 100 updates per topic");
    expect(order).toContain("Latest value: not sent");
    expect(order).toContain("Lag policy: skip.");
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

describe("wsgen spec's formatting", () => {
  const brokerSpec = "src/modules/broker/specs_generated/broker_asyncapi.json";
  const plain = (text: string): string => `${JSON.stringify(JSON.parse(text), null, 2)}\n`;

  it("formats each document with the project's prettier and the config it resolves for the path, the same on every run", async () => {
    const root = createProject("spec-prettier", { ...twoModuleFiles, ".prettierrc.json": JSON.stringify({ printWidth: 60 }) });
    expect((await runCli(root, ["spec"])).code).toBe(0);
    const text = readFileSync(join(root, brokerSpec), "utf8");
    expect(text).toBe(await format(plain(text), { parser: "json", printWidth: 60 }));
    expect(text).not.toBe(plain(text));
    const again = await runCli(root, ["spec", "--json"]);
    expect((JSON.parse(again.stdout) as { files: { status: string }[] }).files.every((file) => file.status === "unchanged")).toBe(true);
  }, 30_000);

  it("leaves the documents the project's .prettierignore names as JSON.stringify writes them", async () => {
    const root = createProject("spec-ignored", twoModuleFiles);
    writeFiles(root, { ".prettierignore": "**/specs_generated/**\n" });
    expect((await runCli(root, ["spec"])).code).toBe(0);
    const text = readFileSync(join(root, brokerSpec), "utf8");
    expect(text).toBe(plain(text));
  }, 30_000);

  const isolated: string[] = [];
  afterAll(() => isolated.forEach(removeProject));

  it("writes JSON.stringify's text when the project has no prettier, with the format gate's notice", async () => {
    const files = { ...twoModuleFiles };
    delete files[".prettierrc.json"];
    const root = createIsolatedProject("spec-no-prettier", files, ["wsgen", "zod", "typescript", "@types/node"]);
    isolated.push(root);
    const result = await runCli(root, ["spec"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("wsgen: format gate skipped: prettier is not installed in this project (npm i -D prettier to enable)");
    const text = readFileSync(join(root, brokerSpec), "utf8");
    expect(text).toBe(plain(text));
  }, 30_000);
});
