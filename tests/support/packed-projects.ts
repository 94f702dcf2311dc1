/**
 * The user projects of tests/package-install.test.ts, written as a user of
 * the README would: models, a ws.ts, a service, a module, a server and a
 * Node client on the generated typed client. Each project differs where
 * users' projects do: web framework, module resolution, TypeScript version,
 * lint and format tools.
 */
import type { Packs } from "./packed.js";

/** Versions from the registry, picked to span what the packages support. */
const VERSIONS = {
  express: "^5.1.0",
  fastify: "^5.4.0",
  zod: "^4.0.0",
  ws: "^8.18.0",
  typesWs: "^8.18.1",
  typesNode: "^20.19.0",
  typesExpress: "^5.0.0",
  eslint: "^10.0.0",
  eslintJs: "^10.0.0",
  typescriptEslint: "8.74.0", // supports TypeScript < 6.1
  prettier: "^3.6.0",
};

const lines = (...text: string[]): string => `${text.join("\n")}\n`;

/** A node:http `server` listening on an ephemeral port of 127.0.0.1, printing `listening <port>` for startServer. */
const LISTEN = [
  'server.listen(0, "127.0.0.1", () => {',
  "  const address = server.address();",
  '  if (address !== null && typeof address === "object") console.log(`listening ${String(address.port)}`);',
  "});",
];

function manifest(name: string, dependencies: Record<string, string>, devDependencies: Record<string, string>): string {
  return JSON.stringify({ name, private: true, type: "module", dependencies, devDependencies }, null, 2);
}

function tsconfig(options: Record<string, unknown>): string {
  const compilerOptions = {
    target: "ES2022",
    lib: ["ES2023"],
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    outDir: "dist",
    rootDir: "src",
    ...options,
  };
  return JSON.stringify({ compilerOptions, include: ["src"] }, null, 2);
}

/** Models, ws.ts, service and module of one module; `schemaSuffix` uses zod's `FooSchema` convention. */
function moduleFiles(module: string, schemaSuffix: boolean): Record<string, string> {
  const schema = (name: string): string => (schemaSuffix ? `${name}Schema` : name);
  return {
    "src/models/broker.ts": lines(
      'import { z } from "zod";',
      "",
      `export const ${schema("OrderSubscriptionRequest")} = z.object({ accountId: z.string() });`,
      `export type OrderSubscriptionRequest = z.infer<typeof ${schema("OrderSubscriptionRequest")}>;`,
      "",
      `export const ${schema("PlacedOrder")} = z.object({ id: z.string(), symbol: z.string(), qty: z.number().int() });`,
      `export type PlacedOrder = z.infer<typeof ${schema("PlacedOrder")}>;`,
    ),
    [`src/modules/${module}/ws.ts`]: lines(
      'import type { WsRouter } from "wsgen";',
      'import type { OrderSubscriptionRequest, PlacedOrder } from "../../models/broker.js";',
      "",
      "/** Orders of one account, as they are placed. @route orders */",
      "export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;",
    ),
    [`src/modules/${module}/service.ts`]: lines(
      'import type { TopicContext, TopicUpdater, WsRouteService } from "wsgen";',
      'import type { OrderSubscriptionRequest, PlacedOrder } from "../../models/broker.js";',
      "",
      "/** Places an order on every subscribed account every 20 ms. */",
      "export class OrderService implements WsRouteService<OrderSubscriptionRequest, PlacedOrder> {",
      "  readonly #timers = new Map<string, NodeJS.Timeout>();",
      "",
      "  createTopic(topic: string, update: TopicUpdater<PlacedOrder>, context: TopicContext<OrderSubscriptionRequest>): void {",
      "    let count = 0;",
      "    const timer = setInterval(() => {",
      "      count += 1;",
      "      update({ id: `${context.request.accountId}-${String(count)}`, symbol: 'AAPL', qty: count });",
      "    }, 20);",
      "    this.#timers.set(topic, timer);",
      "  }",
      "",
      "  removeTopic(topic: string): void {",
      "    clearInterval(this.#timers.get(topic));",
      "    this.#timers.delete(topic);",
      "  }",
      "}",
    ),
    [`src/modules/${module}/module.ts`]: lines(
      'import { defineModule } from "wsgen";',
      'import { OrderService } from "./service.js";',
      'import { OrderWsRouter } from "./ws_generated/index.js";',
      "",
      `export const ${camel(module)} = defineModule({ name: "${module}", routes: [new OrderWsRouter({ service: new OrderService() })] });`,
    ),
    // The typed client in Node 20, which has no global WebSocket: `ws` is passed in, without a cast.
    "src/client.ts": lines(
      'import WebSocket from "ws";',
      'import { createWsClient } from "./generated/client.js";',
      "",
      "const client = createWsClient(`ws://127.0.0.1:${process.argv[2] ?? ''}`, { WebSocket });",
      "const quantities: number[] = [];",
      `for await (const order of client${member(module)}.orders.stream({ accountId: "A-1" })) {`,
      "  quantities.push(order.qty); // typed: PlacedOrder",
      "  if (quantities.length === 3) break;",
      "}",
      "client.close();",
      "console.log(JSON.stringify({ quantities }));",
    ),
    "wsgen.config.json": JSON.stringify(
      { modulesDir: "src/modules", client: { out: "src/generated/client.ts" }, spec: { merged: "asyncapi.json" } },
      null,
      2,
    ),
  };
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function member(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** Express 5, NodeNext, TypeScript 6, its own strict eslint (type-checked, with a fixable sort-imports) and prettier. */
export function expressProject(packs: Packs): Record<string, string> {
  return {
    ...moduleFiles("broker", false),
    "package.json": manifest(
      "express-app",
      { wsgen: `file:${packs.runtime.path}`, express: VERSIONS.express, zod: VERSIONS.zod },
      {
        "@wsgen/cli": `file:${packs.cli.path}`,
        typescript: "~6.0.3",
        "@types/node": VERSIONS.typesNode,
        "@types/express": VERSIONS.typesExpress,
        ws: VERSIONS.ws,
        "@types/ws": VERSIONS.typesWs,
        eslint: VERSIONS.eslint,
        "@eslint/js": VERSIONS.eslintJs,
        "typescript-eslint": VERSIONS.typescriptEslint,
        prettier: VERSIONS.prettier,
      },
    ),
    "tsconfig.json": tsconfig({
      module: "NodeNext",
      moduleResolution: "NodeNext",
      verbatimModuleSyntax: true,
      exactOptionalPropertyTypes: true,
    }),
    "eslint.config.js": lines(
      'import js from "@eslint/js";',
      'import tseslint from "typescript-eslint";',
      "",
      "export default tseslint.config(",
      '  { ignores: ["dist/"] },',
      "  js.configs.recommended,",
      "  ...tseslint.configs.strictTypeChecked,",
      "  ...tseslint.configs.stylisticTypeChecked,",
      "  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },",
      '  { rules: { "sort-imports": ["error", { ignoreDeclarationSort: true }] } },',
      '  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },',
      ");",
    ),
    ".prettierrc.json": JSON.stringify({ singleQuote: true, semi: false, printWidth: 100 }),
    ".prettierignore": lines("dist"),
    "src/server.ts": lines(
      'import { createServer } from "node:http";',
      'import express from "express";',
      'import { createWsApp } from "wsgen";',
      'import { broker } from "./modules/broker/module.js";',
      "",
      "const app = express();",
      'app.get("/health", (_request, response) => {',
      "  response.json({ ok: true });",
      "});",
      "const server = createServer(app);",
      "createWsApp({ modules: [broker] }).attach(server);",
      ...LISTEN,
    ),
  };
}

/** Fastify 5, moduleResolution bundler, TypeScript 5.8, no eslint and no prettier; a dashed module and FooSchema models. */
export function fastifyProject(packs: Packs): Record<string, string> {
  return {
    ...moduleFiles("market-data", true),
    "package.json": manifest(
      "fastify-app",
      { wsgen: `file:${packs.runtime.path}`, fastify: VERSIONS.fastify, zod: VERSIONS.zod },
      {
        "@wsgen/cli": `file:${packs.cli.path}`,
        typescript: "~5.8.3",
        "@types/node": VERSIONS.typesNode,
        ws: VERSIONS.ws,
        "@types/ws": VERSIONS.typesWs,
      },
    ),
    "tsconfig.json": tsconfig({ module: "ESNext", moduleResolution: "bundler" }),
    "src/server.ts": lines(
      'import Fastify from "fastify";',
      'import { createWsApp } from "wsgen";',
      'import { marketData } from "./modules/market-data/module.js";',
      "",
      "const fastify = Fastify();",
      'fastify.get("/health", () => ({ ok: true }));',
      "createWsApp({ modules: [marketData] }).attach(fastify.server);",
      'await fastify.listen({ port: 0, host: "127.0.0.1" });',
      "const address = fastify.server.address();",
      'if (address !== null && typeof address === "object") console.log(`listening ${String(address.port)}`);',
    ),
  };
}

/** Plain node:http on TypeScript 7 (the native compiler), with prettier and no eslint. */
export function typescript7Project(packs: Packs): Record<string, string> {
  return {
    ...moduleFiles("broker", false),
    "package.json": manifest(
      "ts7-app",
      { wsgen: `file:${packs.runtime.path}`, zod: VERSIONS.zod },
      {
        "@wsgen/cli": `file:${packs.cli.path}`,
        typescript: "^7.0.2",
        "@types/node": VERSIONS.typesNode,
        ws: VERSIONS.ws,
        "@types/ws": VERSIONS.typesWs,
        prettier: VERSIONS.prettier,
      },
    ),
    "tsconfig.json": tsconfig({ module: "NodeNext", moduleResolution: "NodeNext" }),
    "src/server.ts": lines(
      'import { createServer } from "node:http";',
      'import { createWsApp } from "wsgen";',
      'import { broker } from "./modules/broker/module.js";',
      "",
      'const server = createServer((_request, response) => response.writeHead(404).end("not found"));',
      "createWsApp({ modules: [broker] }).attach(server);",
      ...LISTEN,
    ),
  };
}

/** zod 3 where wsgen needs zod 4: npm refuses the peer, and with --legacy-peer-deps wsgen does. */
export function zod3Project(packs: Packs): Record<string, string> {
  return {
    ...moduleFiles("broker", false),
    "package.json": manifest(
      "zod3-app",
      { wsgen: `file:${packs.runtime.path}`, zod: "^3.23.8" },
      { "@wsgen/cli": `file:${packs.cli.path}`, typescript: "~6.0.3", "@types/node": VERSIONS.typesNode },
    ),
    "tsconfig.json": tsconfig({ module: "NodeNext", moduleResolution: "NodeNext" }),
    // What the app does at start: build its routes on the runtime.
    "src/start.js": lines(
      'import { z } from "zod";',
      'import { WsRoute } from "wsgen";',
      "try {",
      "  const service = { createTopic() {}, removeTopic() {} };",
      '  new WsRoute({ route: "orders", service, request: z.object({}), data: z.object({}), requestName: "Req", dataName: "Order" });',
      '  console.log("started");',
      "} catch (error) {",
      "  console.log(`${error.code}: ${error.message}`);",
      "}",
    ),
  };
}

/** An app's production install: the runtime and zod, nothing else. */
export function runtimeOnlyProject(packs: Packs): Record<string, string> {
  return { "package.json": manifest("prod-app", { wsgen: `file:${packs.runtime.path}`, zod: VERSIONS.zod }, {}) };
}
