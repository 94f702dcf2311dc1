/**
 * The public surface of every entry point in package.json's `exports`, as
 * the README's "Public API" table lists it: exactly these names, values and
 * types, and nothing else. A name added here is a promise to users.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/project.js";

const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");

const SURFACE: Record<string, { entry: string; values: string[]; types: string[] }> = {
  wsgen: {
    entry: "src/index.ts",
    values: ["buildTopic", "createWsApp", "defineModule", "LiveTopics", "WsgenError", "WsRoute"],
    types: [
      "AppStats",
      "AsyncApiOptions",
      "AsyncApiVersion",
      "AuthenticateResult",
      "Envelope",
      "ErrorCode",
      "ErrorContext",
      "ErrorPayload",
      "LiveTopic",
      "LiveTopicsHooks",
      "ModuleStats",
      "RateLimit",
      "RouteDeclaration",
      "RouteOptions",
      "RouteStats",
      "SlowConsumerPolicy",
      "SubscriptionResponse",
      "TopicContext",
      "TopicUpdate",
      "TopicUpdater",
      "WsApp",
      "WsAppOptions",
      "WsgenErrorCode",
      "WsModuleDefinition",
      "WsRouter",
      "WsRouteService",
    ],
  },
  "wsgen/client": {
    entry: "src/client/index.ts",
    values: ["buildTopic", "createClient", "endpointPath", "WsClient", "WsClientClosedError", "WsRequestError"],
    types: [
      "BackoffOptions",
      "ClientContract",
      "ClientOptions",
      "ConnectionState",
      "Issue",
      "ModuleContract",
      "RouteClient",
      "RouteContract",
      "SchemaLike",
      "SubscribeOptions",
      "Subscription",
      "TypedClient",
      "UpdateStream",
      "WebSocketConstructor",
      "WebSocketLike",
      "WsClientOptions",
    ],
  },
  "wsgen/metrics": { entry: "src/runtime/metrics.ts", values: ["createMetrics"], types: ["WsMetrics"] },
  "wsgen/config": { entry: "src/config.ts", values: ["defineConfig"], types: ["WsgenConfig"] },
};

/** Case-insensitive, so the lists read alphabetically. */
const byName = (a: string, b: string): number => a.toLowerCase().localeCompare(b.toLowerCase());

/** The names `entry` exports, split into values and types-only, as TypeScript sees them. */
function exportsOf(entry: string): { values: string[]; types: string[] } {
  const file = join(REPO_ROOT, entry);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (symbol === undefined) throw new Error(`${entry} has no module symbol`);
  const values: string[] = [];
  const types: string[] = [];
  for (const exported of checker.getExportsOfModule(symbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    // `export { type WsApp }` of a class exports only its type.
    const typeOnly = (exported.declarations ?? []).some((declaration) => ts.isTypeOnlyImportOrExportDeclaration(declaration));
    (target.flags & ts.SymbolFlags.Value && !typeOnly ? values : types).push(exported.getName());
  }
  return { values: values.sort(byName), types: types.sort(byName) };
}

describe("the public API", () => {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    exports: Record<string, unknown>;
    files: string[];
    engines: { node: string };
  };

  it("is reachable only through the listed entry points", () => {
    const entries = Object.keys(manifest.exports).filter((key) => key !== "./package.json");
    expect(entries.map((key) => (key === "." ? "wsgen" : `wsgen/${key.slice(2)}`)).sort()).toEqual(Object.keys(SURFACE).sort());
    for (const [name, { entry }] of Object.entries(SURFACE)) {
      const key = name === "wsgen" ? "." : `./${name.slice("wsgen/".length)}`;
      expect((manifest.exports[key] as Record<string, string>)["wsgen-source"], name).toBe(`./${entry}`);
    }
    // The source is not published: nothing but the built entry points and what they import can be reached.
    expect(manifest.files.sort()).toEqual(["bin", "dist", "templates"]);
  });

  for (const [name, surface] of Object.entries(SURFACE)) {
    it(`${name} exports exactly the documented names`, () => {
      expect(exportsOf(surface.entry)).toEqual({ values: [...surface.values].sort(byName), types: [...surface.types].sort(byName) });
    });
  }

  it("publishes the classes without their internal members (dist/, as installed)", () => {
    // global-setup builds dist/ with tsconfig.build.json, which strips @internal declarations.
    const file = join(REPO_ROOT, "dist/index.d.ts");
    const program = ts.createProgram([file], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
    });
    const checker = program.getTypeChecker();
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!);
    const members = (name: string): string[] => {
      const symbol = checker.getAliasedSymbol(exported.find((candidate) => candidate.getName() === name)!);
      const instance = checker.getDeclaredTypeOfSymbol(symbol);
      return checker
        .getPropertiesOfType(instance)
        .map((property) => property.getName())
        .filter((name) => name !== "#private") // what a class's # fields show as: unreachable from outside
        .sort(byName);
    };
    expect(members("WsRoute")).toEqual(
      ["dataName", "dataSchema", "description", "name", "parseRequest", "requestName", "requestSchema", "service", "stats", "topics"].sort(
        byName,
      ),
    );
    expect(members("WsApp")).toEqual(["asyncapi", "attach", "close", "handleRequest", "handleUpgrade", "stats"].sort(byName));
  });

  it("loads with require() from CommonJS, as Node 20.19+ allows for ES modules (engines says so)", () => {
    expect(manifest.engines.node).toBe(">=20.19");
    const script = 'const w = require("wsgen"), c = require("wsgen/client"); console.log(typeof w.createWsApp, typeof c.createClient);';
    // The package refers to itself by name from its own folder, as an installed one is found from a project.
    const printed = execFileSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(printed.trim()).toBe("function function");
  });

  it("is what the README's Public API table lists", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    for (const [name, surface] of Object.entries(SURFACE)) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\``));
      expect(row, `README row for ${name}`).toBeDefined();
      const listed = [...(row ?? "").matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]).filter((word) => word !== name.split("/").pop());
      expect(new Set(listed)).toEqual(new Set([...surface.values, ...surface.types]));
    }
  });
});
