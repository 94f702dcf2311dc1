/**
 * The public surface of every entry point in the two packages' `exports`
 * (the runtime `wsgen` in packages/wsgen, the CLI `@wsgen/cli` at the root),
 * as the README's "Public API" table lists it: exactly these names, values
 * and types, and nothing else. A name added here is a promise to users.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/project.js";

const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");

interface Surface {
  /** Source file, from the repository root. */
  entry: string;
  values: string[];
  types: string[];
}

const SURFACE: Record<string, Surface> = {
  wsgen: {
    entry: "packages/wsgen/src/index.ts",
    values: ["authenticated", "buildTopic", "createWsApp", "defineModule", "LiveTopics", "memoryBroker", "WsgenError", "WsRoute"],
    types: [
      "AppStats",
      "AsyncApiOptions",
      "AsyncApiSecurityScheme",
      "AsyncApiVersion",
      "Authenticated",
      "AuthenticateResult",
      "AuthorizeHook",
      "AuthorizeResult",
      "Broker",
      "BrokerStats",
      "Envelope",
      "ErrorCode",
      "ErrorContext",
      "ErrorPayload",
      "LagPolicy",
      "LiveTopic",
      "LiveTopicsHooks",
      "ModuleStats",
      "PublishResult",
      "RateLimit",
      "RecoveryFailureReason",
      "RouteDeclaration",
      "RouteOptions",
      "RouteStats",
      "SlowConsumerPolicy",
      "StreamPosition",
      "SubscribeAttempt",
      "SubscriptionErrorCode",
      "SubscriptionResponse",
      "TopicContext",
      "TopicPublisher",
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
    entry: "packages/wsgen/src/client/index.ts",
    values: ["buildTopic", "createClient", "endpointPath", "WsClient", "WsClientClosedError", "WsHandshakeError", "WsRequestError"],
    types: [
      "BackoffOptions",
      "ClientContract",
      "ClientOptions",
      "ConnectionState",
      "DeliveryHandlers",
      "Issue",
      "ModuleContract",
      "RecoveryFailureReason",
      "Resubscription",
      "RouteClient",
      "RouteContract",
      "RouteSubscribeOptions",
      "SchemaLike",
      "StreamEvent",
      "StreamOptions",
      "StreamPosition",
      "StreamReset",
      "StreamResetReason",
      "SubscribeOptions",
      "Subscription",
      "TokenContext",
      "TokenPlacement",
      "TokenSource",
      "TypedClient",
      "UpdateStream",
      "WebSocketConstructor",
      "WebSocketLike",
      "WsClientOptions",
    ],
  },
  "wsgen/metrics": { entry: "packages/wsgen/src/runtime/metrics.ts", values: ["createMetrics"], types: ["WsMetrics"] },
  "wsgen/redis": {
    entry: "packages/wsgen/src/redis/index.ts",
    values: ["redisBroker"],
    types: ["RedisBroker", "RedisBrokerOptions", "RedisBrokerStats"],
  },
  "@wsgen/cli/config": { entry: "src/config.ts", values: ["defineConfig"], types: ["WsgenConfig"] },
};

/** Entry points for @wsgen/cli only (not in the README's table, not public), checked all the same so they grow on purpose. */
const INTERNAL: Record<string, Surface> = {
  "wsgen/internal": {
    entry: "packages/wsgen/src/internal.ts",
    values: [
      "ASYNCAPI_VERSIONS",
      "buildMergedAsyncApi",
      "buildModuleAsyncApi",
      "compareStrings",
      "deliveryPolicyOf",
      "historyLimits",
      "isModuleName",
      "isRouteName",
      "LAG_POLICIES",
      "lagPolicyOf",
      "lingerOf",
      "RESERVED_MODULE_NAMES",
      "ROUTE_DEFAULTS",
    ],
    types: ["AsyncApiVersion", "LagPolicy", "ModuleSpec", "RouteSpec", "RouteOptions"],
  },
};

/** The two published packages: where each lives, by name. */
const PACKAGES = { wsgen: "packages/wsgen", "@wsgen/cli": "." } as const;

interface Manifest {
  name: string;
  exports: Record<string, Record<string, string> | string>;
  files: string[];
  engines: { node: string };
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(REPO_ROOT, dir, "package.json"), "utf8")) as Manifest;

/** "wsgen/client" → ["wsgen", "./client"]; "@wsgen/cli/config" → ["@wsgen/cli", "./config"]. */
function splitSpecifier(specifier: string): [keyof typeof PACKAGES, string] {
  const name = (Object.keys(PACKAGES) as (keyof typeof PACKAGES)[]).find(
    (candidate) => specifier === candidate || specifier.startsWith(`${candidate}/`),
  );
  if (name === undefined) throw new Error(`${specifier} names no package`);
  return [name, specifier === name ? "." : `./${specifier.slice(name.length + 1)}`];
}

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
  const all = { ...SURFACE, ...INTERNAL };

  it("is reachable only through the listed entry points", () => {
    for (const [name, dir] of Object.entries(PACKAGES)) {
      const manifest = manifestOf(dir);
      expect(manifest.name).toBe(name);
      const entries = Object.keys(manifest.exports).filter((key) => key !== "./package.json");
      const listed = Object.keys(all).filter((specifier) => splitSpecifier(specifier)[0] === name);
      expect(entries.map((key) => (key === "." ? name : `${name}/${key.slice(2)}`)).sort(), name).toEqual(listed.sort());
    }
    for (const [specifier, { entry }] of Object.entries(all)) {
      const [name, key] = splitSpecifier(specifier);
      const exported = manifestOf(PACKAGES[name]).exports[key] as Record<string, string>;
      expect(join(PACKAGES[name], exported["wsgen-source"] ?? ""), specifier).toBe(entry);
    }
    // The source is not published: nothing but the built entry points and what they import can be reached.
    expect(manifestOf(PACKAGES.wsgen).files.sort(byName)).toEqual(["dist", "LICENSE", "README.md"]);
    expect(manifestOf(PACKAGES["@wsgen/cli"]).files.sort(byName)).toEqual(["bin", "dist", "LICENSE", "README.md", "templates"]);
  });

  it("installs without scripts, and the runtime without the code-generation toolchain", () => {
    for (const dir of Object.values(PACKAGES)) {
      const scripts = manifestOf(dir).scripts ?? {};
      for (const hook of ["preinstall", "install", "postinstall", "prepare"]) expect(scripts[hook], `${dir} ${hook}`).toBeUndefined();
    }
    expect(Object.keys(manifestOf(PACKAGES.wsgen).dependencies ?? {})).toEqual(["ws"]);
  });

  for (const [name, surface] of Object.entries(all)) {
    it(`${name} exports exactly the documented names`, () => {
      expect(exportsOf(surface.entry)).toEqual({ values: [...surface.values].sort(byName), types: [...surface.types].sort(byName) });
    });
  }

  it("publishes the classes without their internal members (dist/, as installed)", () => {
    // global-setup builds packages/wsgen/dist/ with its tsconfig.build.json, which strips @internal declarations.
    const file = join(REPO_ROOT, "packages/wsgen/dist/index.d.ts");
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
      [
        "dataName",
        "dataSchema",
        "description",
        "name",
        "parseRequest",
        "publish",
        "requestName",
        "requestSchema",
        "service",
        "stats",
        "topics",
      ].sort(byName),
    );
    expect(members("WsApp")).toEqual(["asyncapi", "attach", "close", "handleRequest", "handleUpgrade", "stats"].sort(byName));
  });

  it("loads with require() from CommonJS, as Node 20.19+ allows for ES modules (engines says so)", () => {
    for (const dir of Object.values(PACKAGES)) expect(manifestOf(dir).engines.node).toBe(">=20.19");
    const script = 'const w = require("wsgen"), c = require("wsgen/client"); console.log(typeof w.createWsApp, typeof c.createClient);';
    // From the repository root, `wsgen` is found in node_modules (npm's workspace link), as an installed one is.
    const printed = execFileSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(printed.trim()).toBe("function function");
  });

  it("is what the README's Public API table lists", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8").split("## Public API")[1] ?? "";
    for (const [name, surface] of Object.entries(SURFACE)) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\``));
      expect(row, `README row for ${name}`).toBeDefined();
      const listed = [...(row ?? "").matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]).filter((word) => word !== name.split("/").pop());
      expect(new Set(listed)).toEqual(new Set([...surface.values, ...surface.types]));
    }
  });
});
