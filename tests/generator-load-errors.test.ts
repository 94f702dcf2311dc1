/**
 * Bad input found while loading and discovering modules: each exits 2 with a
 * message naming file, line and column, and leaves ws_generated/ exactly as
 * it was. Failing gates are in generator-gates.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { createProject, snapshotTree, twoModuleFiles, writeFiles } from "./support/project.js";

const brokerWs = (body: string): Record<string, string> => ({ ...twoModuleFiles, "src/modules/broker/ws.ts": body });
const header =
  'import type { WsRouter } from "wsgen";\nimport type { OrderSubscriptionRequest, PlacedOrder } from "../../models/broker.js";\n';

describe("input errors", () => {
  const cases: { name: string; files: Record<string, string>; args?: string[]; message: RegExp; location?: string }[] = [
    {
      name: "a type argument that does not resolve",
      files: brokerWs(`${header}export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, Missing>;\n`),
      message: /the data type `Missing` does not resolve/,
      location: "src/modules/broker/ws.ts:3:64",
    },
    {
      name: "a type with no zod schema value behind it",
      files: brokerWs(`${header}interface Plain { id: string }\nexport type OrderWsRouter = WsRouter<OrderSubscriptionRequest, Plain>;\n`),
      message: /the data type `Plain` has no zod schema `Plain` or `PlainSchema` beside it in src\/modules\/broker\/ws\.ts\./,
      location: "src/modules/broker/ws.ts:4:64",
    },
    {
      name: "a package model whose schema follows the FooSchema convention (packages need one name)",
      files: {
        ...brokerWs(
          `${header}import type { Tick } from "tick-models";\nexport type OrderWsRouter = WsRouter<OrderSubscriptionRequest, Tick>;\n`,
        ),
        "node_modules/tick-models/package.json": JSON.stringify({ name: "tick-models", type: "module", types: "./index.d.ts" }),
        "node_modules/tick-models/index.d.ts":
          'import { z } from "zod";\nexport declare const TickSchema: z.ZodObject<{ n: z.ZodNumber }>;\nexport type Tick = z.infer<typeof TickSchema>;\n',
      },
      message: /the data type `Tick` has no zod schema `Tick` or `TickSchema` beside it/,
    },
    {
      name: "a type whose file has schemas of other names",
      files: {
        ...brokerWs(
          `${header}import type { Fill } from "../../models/fills.js";\nexport type OrderWsRouter = WsRouter<OrderSubscriptionRequest, Fill>;\n`,
        ),
        "src/models/fills.ts":
          'import { z } from "zod";\nexport const FillPayload = z.object({ id: z.string() });\nexport type Fill = z.infer<typeof FillPayload>;\n',
      },
      message:
        /no zod schema `Fill` or `FillSchema` beside it in src\/models\/fills\.ts\.[\s\S]*hint: Schemas exported there: FillPayload\./,
      location: "src/modules/broker/ws.ts:4:64",
    },
    {
      name: "a value of the same name that is not a zod schema",
      files: {
        ...brokerWs(
          `${header}import type { Fake } from "../../models/fake.js";\nexport type OrderWsRouter = WsRouter<OrderSubscriptionRequest, Fake>;\n`,
        ),
        "src/models/fake.ts": "export const Fake = { id: 'x' };\nexport type Fake = typeof Fake;\n",
      },
      message: /`Fake`, the value behind the data type, is not a zod schema/,
      location: "src/models/fake.ts:1:14",
    },
    {
      name: "a schema that is not exported",
      files: {
        ...brokerWs(
          `${header}import type { Hidden } from "../../models/hidden.js";\nexport type OrderWsRouter = WsRouter<OrderSubscriptionRequest, Hidden>;\n`,
        ),
        "src/models/hidden.ts":
          'import { z } from "zod";\nconst Hidden = z.object({ id: z.string() });\nexport type Hidden = z.infer<typeof Hidden>;\n',
      },
      message: /the schema `Hidden` is not exported from its file/,
      location: "src/models/hidden.ts:2:7",
    },
    {
      name: "a duplicate router name",
      files: brokerWs(
        `${header}export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\ntype OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`,
      ),
      message: /Duplicate router name OrderWsRouter/,
      location: "src/modules/broker/ws.ts:4:1",
    },
    {
      name: "names that collide in the barrel",
      files: brokerWs(
        `${header}export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\nexport type OrderWSRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`,
      ),
      message: /OrderWSRouter would be written to order-ws-router\.ts, which OrderWsRouter also uses/,
      location: "src/modules/broker/ws.ts:4:1",
    },
    {
      name: "two routers on one route",
      files: brokerWs(
        `${header}/** @route orders */\nexport type A = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n/** @route orders */\nexport type B = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`,
      ),
      message: /B and A both use the route "orders"/,
    },
    {
      name: "a ws.ts that does not parse",
      files: brokerWs(`${header}export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>\nexport type = ;\n`),
      message: /ws\.ts does not parse/,
      location: "src/modules/broker/ws.ts:4:13",
    },
    {
      name: "WsRouter with one type argument",
      files: brokerWs(`${header}// @ts-expect-error: wrong arity, on purpose\nexport type OrderWsRouter = WsRouter<PlacedOrder>;\n`),
      message: /WsRouter takes two type arguments/,
    },
    {
      name: "an invalid @route name",
      files: brokerWs(`${header}/** @route 9lives */\nexport type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`),
      message: /route name "9lives" is invalid/,
    },
    {
      name: "a config with an unknown key",
      files: { ...twoModuleFiles, "wsgen.config.json": JSON.stringify({ modulesDir: "src/modules", outDir: "x" }) },
      message: /wsgen\.config\.json:1:1: config value: Unrecognized key: "outDir"/,
    },
    {
      name: "a module name that leaves modulesDir",
      files: twoModuleFiles,
      args: ["generate", "--modules", "../x"],
      message: /Invalid module name: "\.\.\/x"/,
    },
    {
      name: "a module without ws.ts",
      files: twoModuleFiles,
      args: ["generate", "--modules", "ghost"],
      message: /No ws\.ts for module ghost in src\/modules\/\. \[ERR_NO_MODULE\]\n\s*hint: Modules here: broker, datafeed\./,
    },
  ];

  it.each(cases)("refuses $name with exit 2, a located message, and no write", async ({ files, args, message, location }) => {
    const root = createProject("error", files);
    const result = await runCli(root, args ?? ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    if (location !== undefined) expect(result.stderr).toContain(location);
    expect(result.stderr).toMatch(/hint: /);
    expect(snapshotTree(join(root, "src/modules/broker/ws_generated"))).toEqual({});
  });
});

describe("more bad input (found in review)", () => {
  it.each([
    [
      "modulesDir is a file",
      { "wsgen.config.json": JSON.stringify({ modulesDir: "package.json" }) },
      ["generate"],
      /modulesDir "package\.json" does not exist/,
    ],
    [
      "ws.ts is a folder",
      { "src/modules/odd/ws.ts/keep.txt": "" },
      ["generate", "--modules", "odd"],
      /src\/modules\/odd\/ws\.ts is not a file/,
    ],
    [
      "a discovered module folder outside the module-name rule",
      { "src/modules/my mod/ws.ts": twoModuleFiles["src/modules/broker/ws.ts"]! },
      ["generate"],
      /Invalid module name: "my mod"\.[^]*hint: A module name is a letter, then letters, digits, _ or - \(market-data\)/,
    ],
    [
      "client.out inside a module's ws_generated/",
      { "wsgen.config.json": JSON.stringify({ modulesDir: "src/modules", client: { out: "src/modules/broker/ws_generated/client.ts" } }) },
      ["generate"],
      /client\.out .* is inside a module's ws_generated\/ folder/,
    ],
    ["no command", {}, [], /Usage: wsgen/],
  ])("%s exits 2", async (_name, extra, args, message) => {
    const root = createProject("review", { ...twoModuleFiles, ...extra });
    const result = await runCli(root, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  // The runtime's package.json has main/types/typesVersions beside "exports", for resolvers that predate exports.
  for (const [resolution, module] of [
    ["node10", "esnext"],
    ["bundler", "preserve"],
  ] as const) {
    it(`resolves wsgen's types under moduleResolution ${resolution}: the output type-checks`, async () => {
      const tsconfig = JSON.parse(twoModuleFiles["tsconfig.json"]!) as { compilerOptions: Record<string, unknown> };
      Object.assign(tsconfig.compilerOptions, { module, moduleResolution: resolution, ignoreDeprecations: "6.0" });
      const root = createProject(resolution, { ...twoModuleFiles, "tsconfig.json": JSON.stringify(tsconfig) });
      const result = await runCli(root, ["generate", "--no-lint"]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }, 30_000);
  }

  it("says that ws.ts's wsgen import does not resolve, instead of finding no WsRouter alias", async () => {
    // A project outside this repository, with zod but not wsgen installed: TypeScript finds no "wsgen" to resolve.
    const root = mkdtempSync(join(tmpdir(), "wsgen-uninstalled-"));
    const zod = {
      "node_modules/zod/package.json": JSON.stringify({ name: "zod", version: "4.0.0", main: "index.js" }),
      "node_modules/zod/index.js": "",
    };
    try {
      for (const [path, text] of Object.entries({ ...twoModuleFiles, ...zod })) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
      // Nor typescript: with the typecheck gate on, that would be refused first (ERR_TOOL_MISSING).
      const result = await runCli(root, ["generate", "--no-lint", "--no-typecheck"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/ws\.ts:1:1: ws\.ts imports "wsgen", but TypeScript cannot resolve it under this tsconfig\./);
      expect(result.stderr).toMatch(/hint: install the runtime beside the CLI \(npm install wsgen\)/);
      expect(result.stderr).not.toContain("ERR_NO_ROUTERS");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 30_000);

  it("refuses a project on zod 3 up front, naming the version found, instead of a wall of type errors", async () => {
    const root = createProject("zod3", {
      ...twoModuleFiles,
      "node_modules/zod/package.json": JSON.stringify({ name: "zod", version: "3.23.8", main: "index.js" }),
      "node_modules/zod/index.js": "module.exports = {};\n",
    });
    const before = snapshotTree(root);
    const result = await runCli(root, ["generate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("this project has zod 3.23.8 (node_modules/zod/package.json); wsgen needs zod 4. [ERR_ZOD_VERSION]");
    expect(result.stderr).toMatch(/hint: npm install zod@\^4/);
    expect(snapshotTree(root)).toEqual(before);
  });

  it("points a CommonJS project at ESM when the typecheck gate meets module-system errors", async () => {
    const root = createProject("commonjs", {
      ...twoModuleFiles,
      "package.json": JSON.stringify({ name: "fixture", private: true }), // no "type": "module": .ts files are CommonJS
    });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[TS(1295|1479)\]/);
    expect(result.stderr).not.toContain("does not type-check against its models");
    expect(result.stderr).toMatch(/hint: wsgen and its generated code are ES modules, but this project compiles its .ts files as CommonJS/);
  }, 30_000);

  it("recognises zod's `FooSchema` convention: imports the schema and the type, and names the model after the type", async () => {
    const root = createProject("schema-suffix", {
      ...twoModuleFiles,
      "src/models/fills.ts":
        'import { z } from "zod";\nexport const FillSchema = z.object({ id: z.string(), qty: z.number() });\nexport type Fill = z.infer<typeof FillSchema>;\n',
      "src/modules/broker/ws.ts": `${twoModuleFiles["src/modules/broker/ws.ts"]}import type { Fill } from "../../models/fills.js";\nexport type FillWsRouter = WsRouter<OrderSubscriptionRequest, Fill>;\n`,
    });
    // Every gate but lint (the fixture has no eslint config): the output type-checks against the models.
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const router = readFileSync(join(root, "src/modules/broker/ws_generated/fill-ws-router.ts"), "utf8");
    expect(router).toContain('import { FillSchema, type Fill } from "../../../models/fills.js";');
    expect(router).toContain("extends WsRoute<OrderSubscriptionRequest, Fill, User>");
    expect(router).toContain("data: FillSchema,");
    expect(router).toContain('dataName: "Fill",');
    const spec = await runCli(root, ["spec", "--modules", "broker"]);
    expect(spec.code).toBe(0);
    const document = JSON.parse(readFileSync(join(root, "src/modules/broker/specs_generated/broker_asyncapi.json"), "utf8")) as {
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(document.components.schemas)).toContain("Fill");
  }, 60_000);

  it("finds a FooSchema that is re-exported, renamed, or beside a non-zod value named Foo", async () => {
    const root = createProject("schema-suffix-variants", {
      ...twoModuleFiles,
      "src/models/raw.ts": 'import { z } from "zod";\nexport const SideSchema = z.enum(["buy", "sell"]);\n',
      // Re-exported from another file, beside the type.
      "src/models/side.ts":
        'import type { z } from "zod";\nimport type { SideSchema } from "./raw.js";\nexport { SideSchema } from "./raw.js";\nexport type Side = z.infer<typeof SideSchema>;\n',
      // A same-name value that is no zod schema (an enum-like object) does not hide the convention.
      "src/models/status.ts":
        'import { z } from "zod";\nexport const Status = { Open: "open", Done: "done" } as const;\nexport type Status = (typeof Status)[keyof typeof Status];\nexport const StatusSchema = z.enum(["open", "done"]);\n',
      // Exported under another name.
      "src/models/fee.ts":
        'import { z } from "zod";\nconst FeeSchema = z.object({ amount: z.number() });\nexport type Fee = z.infer<typeof FeeSchema>;\nexport { FeeSchema as FeeModel };\n',
      "src/modules/broker/ws.ts": `${twoModuleFiles["src/modules/broker/ws.ts"]}import type { Side } from "../../models/side.js";
import type { Status } from "../../models/status.js";
import type { Fee } from "../../models/fee.js";
export type SideWsRouter = WsRouter<OrderSubscriptionRequest, Side>;
export type StatusWsRouter = WsRouter<OrderSubscriptionRequest, Status>;
export type FeeWsRouter = WsRouter<OrderSubscriptionRequest, Fee>;
`,
    });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const read = (name: string): string => readFileSync(join(root, "src/modules/broker/ws_generated", name), "utf8");
    expect(read("side-ws-router.ts")).toContain('import { SideSchema, type Side } from "../../../models/side.js";');
    expect(read("status-ws-router.ts")).toContain('import { StatusSchema, type Status } from "../../../models/status.js";');
    expect(read("fee-ws-router.ts")).toContain('import { FeeModel, type Fee } from "../../../models/fee.js";');
    expect(read("fee-ws-router.ts")).toContain('dataName: "Fee",');
  }, 60_000);

  it("rebases the import of a package model re-exported through a local barrel", async () => {
    const root = createProject("barrel", {
      ...twoModuleFiles,
      "node_modules/fake-models/package.json": JSON.stringify({
        name: "fake-models",
        type: "module",
        exports: { ".": { types: "./index.d.ts", default: "./index.js" } },
      }),
      "node_modules/fake-models/index.js": 'import { z } from "zod";\nexport const Tick = z.object({ n: z.number() });\n',
      "node_modules/fake-models/index.d.ts":
        'import { z } from "zod";\nexport declare const Tick: z.ZodObject<{ n: z.ZodNumber }>;\nexport type Tick = z.infer<typeof Tick>;\n',
      "src/models/ticks.ts": 'export { Tick } from "fake-models";\n',
      "src/modules/broker/ws.ts": `${twoModuleFiles["src/modules/broker/ws.ts"]}import type { Tick } from "../../models/ticks.js";\nexport type TickWsRouter = WsRouter<OrderSubscriptionRequest, Tick>;\n`,
    });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(readFileSync(join(root, "src/modules/broker/ws_generated/tick-ws-router.ts"), "utf8")).toContain(
      'import { Tick } from "../../../models/ticks.js";',
    );
  }, 30_000);
});

describe("zod 4 mini schemas (zod/mini is zod 4)", () => {
  it("refuses zod/mini models with one clear message (ERR_ZOD_MINI), not a wall of TS2740", async () => {
    const root = createProject("zod-mini", {
      ...twoModuleFiles,
      "src/models/broker.ts": [
        'import { z } from "zod/mini";',
        "export const OrderSubscriptionRequest = z.object({ accountId: z.string() });",
        "export type OrderSubscriptionRequest = z.infer<typeof OrderSubscriptionRequest>;",
        "export const PlacedOrder = z.object({ id: z.string(), symbol: z.string(), qty: z.number() });",
        "export type PlacedOrder = z.infer<typeof PlacedOrder>;",
        "const PositionModel = z.object({ symbol: z.string(), qty: z.number() });",
        "type PositionModel = z.infer<typeof PositionModel>;",
        "export { PositionModel as Position };",
        "",
      ].join("\n"),
    });
    const result = await runCli(root, ["generate", "--no-lint", "--no-format"]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/TS2740|TS2344/);
    expect(result.stderr).toMatch(/is a zod\/mini schema; generated routers take zod's classic schemas\. \[ERR_ZOD_MINI\]/);
  }, 60_000);
});

describe("the zod check and the generate cache", () => {
  it("a project whose zod became zod 3 since the last generate is refused, not answered 'unchanged' from the cache", async () => {
    const root = createProject("zod-after-cache", { ...twoModuleFiles, "node_modules/.keep": "" });
    const first = await runCli(root, ["generate", "--no-lint"]);
    expect(first.code, first.stderr).toBe(0);
    // The lockfile moved zod to 3 (package.json untouched, e.g. "zod": ">=3.23"): the project now resolves zod 3.
    writeFiles(root, {
      "node_modules/zod/package.json": JSON.stringify({ name: "zod", version: "3.23.8", main: "index.js" }),
      "node_modules/zod/index.js": "module.exports = {};\n",
    });
    const again = await runCli(root, ["generate", "--no-lint"]);
    expect(again.stderr).toContain("wsgen needs zod 4. [ERR_ZOD_VERSION]");
    expect(again.code).toBe(2);
  }, 60_000);
});
