/**
 * Delivery options declared in ws.ts as JSDoc tags of a WsRouter alias
 * (`@latestValue`, `@lagPolicy conflate`, `@historySize 500`): a bad tag is
 * an input error at its line saying what to write; good ones, in any order and
 * beside other JSDoc tags, become the generated class's defaults. The
 * defaults at run time are in generator-render.test.ts, the documents in
 * generator-spec.test.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { createProject, snapshotTree, twoModuleFiles } from "./support/project.js";

const header =
  'import type { WsRouter } from "wsgen";\nimport type { OrderSubscriptionRequest, PlacedOrder } from "../../models/broker.js";\n';
const brokerWs = (body: string): Record<string, string> => ({ ...twoModuleFiles, "src/modules/broker/ws.ts": `${header}${body}` });

interface Reported {
  location: { file: string; line: number; column: number };
  message: string;
  hint: string;
  code: string;
}

describe("bad delivery tags", () => {
  it("are refused in one run, each at its ws.ts line with what to write instead, and nothing is written", async () => {
    const root = createProject(
      "bad-tags",
      brokerWs(
        [
          "/**", // line 3
          " * Orders.",
          " * @latestValu",
          " * @historySize -1",
          " * @lagPolicy fast",
          " * @queueCapacity 10",
          " * @HistoryTTLms 1000",
          " */",
          "export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;",
          "/**", // line 12
          " * @latestValue yes",
          " * @historySize",
          " * @historyMaxBytes 0",
          " * @lagPolicy skip",
          " * @lagPolicy close",
          " * @historyTtlMs 3_000_000_000",
          " */",
          "export type FillWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;",
          "",
        ].join("\n"),
      ),
    );
    const result = await runCli(root, ["generate", "--no-lint", "--json"]);
    expect(result.code).toBe(2);
    const problems = (JSON.parse(result.stdout) as { error: { problems: Reported[] } }).error.problems;
    const at = (line: number) => ({ file: "src/modules/broker/ws.ts", line, column: 4 });
    expect(problems).toEqual([
      {
        location: at(5),
        message: "OrderWsRouter: @latestValu is not a tag wsgen knows.",
        hint: expect.stringMatching(
          /^Did you mean `@latestValue`\? ws\.ts declares `@historySize N`, .*`@latestValue`, `@lagPolicy conflate\|skip\|close`, `@lingerMs N`\.$/,
        ),
        code: "ERR_UNKNOWN_TAG",
      },
      {
        location: at(6),
        message: "OrderWsRouter: @historySize -1: Option historySize must be an integer of at least 0, got -1.",
        hint: "Write `@historySize N` (e.g. `@historySize 100`, the default), or remove the tag for the default.",
        code: "ERR_INVALID_OPTION",
      },
      {
        location: at(7),
        message: 'OrderWsRouter: @lagPolicy fast: Option lagPolicy must be "conflate", "skip", "close", got fast.',
        hint: "Write `@lagPolicy conflate|skip|close` (e.g. `@lagPolicy skip`, the default), or remove the tag for the default.",
        code: "ERR_INVALID_OPTION",
      },
      {
        location: at(8),
        message:
          "OrderWsRouter: @queueCapacity is a route option that ws.ts does not declare; only delivery options are part of the route's contract.",
        hint: expect.stringMatching(/^Pass it in module\.ts \(`new OrderWsRouter\(\{ service, queueCapacity: … \}\)`\)\. ws\.ts declares /),
        code: "ERR_UNKNOWN_TAG",
      },
      {
        location: at(9),
        message: "OrderWsRouter: @HistoryTTLms is not a tag wsgen knows.",
        hint: expect.stringMatching(/^Did you mean `@historyTtlMs`\?/),
        code: "ERR_UNKNOWN_TAG",
      },
      {
        location: at(13),
        message: "FillWsRouter: @latestValue yes: Option latestValue must be true or false, got yes.",
        hint: "Write `@latestValue true|false` (`@latestValue` alone means true), or remove the tag for the default.",
        code: "ERR_INVALID_OPTION",
      },
      {
        location: at(14),
        message: "FillWsRouter: @historySize needs a value.",
        hint: "Write `@historySize N` (e.g. `@historySize 100`, the default), or remove the tag for the default.",
        code: "ERR_INVALID_OPTION",
      },
      {
        location: at(15),
        message: "FillWsRouter: @historyMaxBytes 0: Option historyMaxBytes must be a positive integer, got 0.",
        hint: expect.stringContaining("Write `@historyMaxBytes N`"),
        code: "ERR_INVALID_OPTION",
      },
      {
        location: at(17),
        message: "FillWsRouter: @lagPolicy is given twice (first at line 16).",
        hint: "Keep one of them.",
        code: "ERR_DUPLICATE_TAG",
      },
      {
        location: at(18),
        message: "FillWsRouter: @historyTtlMs 3_000_000_000: Option historyTtlMs must be a number from 1 to 2147483647, got 3000000000.",
        hint: expect.stringContaining("Write `@historyTtlMs N`"),
        code: "ERR_INVALID_OPTION",
      },
    ]);
    // The human-readable form names file:line:col too.
    const text = await runCli(root, ["generate", "--no-lint"]);
    expect(text.stderr).toContain("src/modules/broker/ws.ts:5:4: OrderWsRouter: @latestValu is not a tag wsgen knows. [ERR_UNKNOWN_TAG]");
    expect(snapshotTree(join(root, "src/modules/broker/ws_generated"))).toEqual({});
  }, 30_000);
});

describe("good delivery tags", () => {
  const tagged = (tags: readonly string[]): Record<string, string> =>
    brokerWs(
      [
        "/**",
        " * Orders of one account.",
        ...tags.map((tag) => ` * ${tag}`),
        " */",
        "export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;",
        "",
      ].join("\n"),
    );
  const tags = [
    "@deprecated use fills",
    "@lagPolicy close",
    "@historyTtlMs 300_000",
    "@see https://example.com/orders",
    "@latestValue false",
    "@remarks Kept for old pages.",
    "@historyMaxBytes 262144",
    "@route orders",
  ];

  it("in any order and beside other JSDoc tags, become the class's defaults; no tag is in the description", async () => {
    const root = createProject("good-tags", tagged(tags));
    const first = await runCli(root, ["generate", "--no-lint"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const file = join(root, "src/modules/broker/ws_generated/order-ws-router.ts");
    const router = readFileSync(file, "utf8");
    expect(router).toContain('static readonly routeName = "orders";');
    expect(router).toContain('description: "Orders of one account.",');
    // The table's order, whatever the tags' order.
    expect(router).toContain(
      [
        "      ...options,",
        "      historyMaxBytes: options.historyMaxBytes ?? 262144,",
        "      historyTtlMs: options.historyTtlMs ?? 300000,",
        "      latestValue: options.latestValue ?? false,",
        '      lagPolicy: options.lagPolicy ?? "close",',
        "      route: OrderWsRouter.routeName,",
      ].join("\n"),
    );
    expect(router).toContain(
      ' * - delivery declared in ws.ts: `historyMaxBytes: 262144`, `historyTtlMs: 300000`, `latestValue: false`, `lagPolicy: "close"`.',
    );

    // Byte-stable: the same tags in another order write nothing.
    writeFileSync(join(root, "src/modules/broker/ws.ts"), tagged([...tags].reverse())["src/modules/broker/ws.ts"]!);
    const again = await runCli(root, ["generate", "--no-lint", "--json"]);
    expect(again.code).toBe(0);
    const result = JSON.parse(again.stdout) as { modules: { files: { status: string }[] }[] };
    expect(new Set(result.modules.flatMap((module) => module.files.map((entry) => entry.status)))).toEqual(new Set(["unchanged"]));
    expect(readFileSync(file, "utf8")).toBe(router);
  }, 60_000);
});
