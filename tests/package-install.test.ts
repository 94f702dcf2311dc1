/**
 * The packages as users get them: `npm pack` of the runtime (wsgen) and the
 * CLI (@wsgen/cli), installed with real registry packages into fresh
 * projects outside this repository. Each project generates, checks and
 * writes its specs with `npx wsgen`, builds with its own tsc, starts its
 * server and receives typed updates through the generated client. Figures
 * (tarball sizes, install sizes, generate times) are printed, not asserted
 * as timings.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expressProject, fastifyProject, runtimeOnlyProject, typescript7Project, zod3Project } from "./support/packed-projects.js";
import {
  installedPackages,
  installProject,
  packBoth,
  removeProject,
  run,
  runOk,
  startServer,
  treeSize,
  type Packs,
  type Run,
} from "./support/packed.js";

// npm installs from the registry: minutes on a cold cache, seconds on a warm one.
const INSTALL_MS = 300_000;
const STEP_MS = 120_000;

const figures: string[] = [];
const report = (line: string): void => void figures.push(line);
let packs: Packs;

beforeAll(async () => {
  packs = await packBoth();
  for (const tarball of [packs.runtime, packs.cli]) {
    report(`${tarball.name}: tarball ${kib(tarball.size)}, unpacked ${kib(tarball.unpackedSize)}, ${tarball.entryCount} files`);
  }
}, INSTALL_MS);

afterAll(() => {
  removeProject(packs?.dir);
  console.log(["package-install figures:", ...figures].join("\n  "));
});

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** generate (twice: the rerun is the cached path), check and spec with the installed CLI, then the project's own tsc. */
async function generateAndBuild(root: string, label: string): Promise<Run> {
  const first = await run("npx", ["wsgen", "generate"], root);
  expect(first.stderr, "first generate's stderr").not.toMatch(/internal error/);
  expect(first.code, first.stderr).toBe(0);
  const again = await runOk("npx", ["wsgen", "generate"], root);
  report(`${label}: generate ${first.ms} ms first run, ${again.ms} ms rerun (npx included)`);
  expect((await run("npx", ["wsgen", "check"], root)).code).toBe(0);
  await runOk("npx", ["wsgen", "spec"], root);
  expect(existsSync(join(root, "asyncapi.json"))).toBe(true);
  await runOk("npx", ["tsc", "-p", "."], root);
  return first;
}

/** Starts dist/server.js and reads three typed orders through dist/client.js. */
async function receiveTypedUpdates(root: string): Promise<void> {
  const server = await startServer(root, "dist/server.js");
  try {
    const client = await runOk(process.execPath, ["dist/client.js", String(server.port)], root);
    expect(JSON.parse(client.stdout.trim())).toEqual({ quantities: [1, 2, 3] });
  } finally {
    await server.stop();
  }
}

describe("the runtime's production install", () => {
  it(
    "pulls ws and zod and no code-generation toolchain",
    async () => {
      const root = await installProject("prod", runtimeOnlyProject(packs), ["--omit=dev"]);
      try {
        const packages = installedPackages(root);
        expect(packages).toEqual(["ws", "wsgen", "zod"]);
        const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
        const total = treeSize(join(root, "node_modules"));
        // zod is the app's own dependency (its models are zod schemas); what wsgen adds is itself and ws.
        const added = treeSize(join(root, "node_modules/wsgen")) + treeSize(join(root, "node_modules/ws"));
        report(`npm install --omit=dev of wsgen + zod: ${packages.length} packages, ${mib(total)}; wsgen + ws: ${mib(added)}`);
        expect(added).toBeLessThan(5 * 1024 * 1024);
      } finally {
        removeProject(root);
      }
    },
    INSTALL_MS,
  );
});

/** Installs the project before the describe block's tests and removes it after them; the tests read its root from `project()`. */
function useInstalledProject(
  name: string,
  files: () => Record<string, string>,
  { prepare, installArgs = [] }: { prepare?: (root: string) => Promise<unknown>; installArgs?: string[] } = {},
): () => string {
  let root: string | undefined;
  beforeAll(async () => {
    root = await installProject(name, files(), installArgs);
    await prepare?.(root);
  }, INSTALL_MS);
  afterAll(() => removeProject(root));
  return () => {
    if (root === undefined) throw new Error(`the ${name} project was not installed`);
    return root;
  };
}

describe("an Express 5 project on NodeNext with its own strict eslint and prettier", () => {
  // The user's own files in the user's style, before wsgen writes any.
  const project = useInstalledProject("express", () => expressProject(packs), {
    prepare: (root) => runOk("npx", ["prettier", "--write", "."], root),
  });

  it(
    "generates behind the user's gates, and its own eslint, prettier and tsc accept everything wsgen wrote",
    async () => {
      await generateAndBuild(project(), "express");
      const router = readFileSync(join(project(), "src/modules/broker/ws_generated/order-ws-router.ts"), "utf8");
      // Formatted with the user's prettier config (single quotes, no semicolons), its import members sorted by their eslint fix.
      expect(router).toMatch(/^import \{ type RouteOptions, WsRoute \} from 'wsgen'$/m);
      const lint = await run("npx", ["eslint", "."], project());
      expect(lint.stdout + lint.stderr).toBe("");
      expect(lint.code).toBe(0);
      await runOk("npx", ["prettier", "--check", "."], project());
    },
    STEP_MS,
  );

  it("serves typed updates to the generated client", () => receiveTypedUpdates(project()), STEP_MS);
});

describe("a Fastify 5 project on moduleResolution bundler, without eslint or prettier", () => {
  const project = useInstalledProject("fastify", () => fastifyProject(packs));

  it(
    "generates (the missing tools' gates skipped with a notice), a dashed module and FooSchema models included",
    async () => {
      const first = await generateAndBuild(project(), "fastify");
      expect(first.stderr).toMatch(/format gate skipped/);
      expect(first.stderr).toMatch(/lint gate skipped/);
      const router = readFileSync(join(project(), "src/modules/market-data/ws_generated/order-ws-router.ts"), "utf8");
      expect(router).toContain("request: OrderSubscriptionRequestSchema,");
    },
    STEP_MS,
  );

  it("serves typed updates to the generated client", () => receiveTypedUpdates(project()), STEP_MS);
});

describe("a project on TypeScript 7", () => {
  const project = useInstalledProject("ts7", () => typescript7Project(packs));

  it(
    "generates with TypeScript 7's compiler as the typecheck gate, and builds with it",
    async () => {
      await generateAndBuild(project(), "typescript 7");
    },
    STEP_MS,
  );

  it("serves typed updates to the generated client", () => receiveTypedUpdates(project()), STEP_MS);
});

describe("a project on zod 3", () => {
  const project = useInstalledProject("zod3", () => zod3Project(packs), { installArgs: ["--legacy-peer-deps"] });

  it(
    "is refused by npm's peer check",
    async () => {
      const strict = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--dry-run"], project());
      expect(strict.code).not.toBe(0);
      expect(strict.stderr).toMatch(/peer zod@"\^4\.0\.0" from (wsgen|@wsgen\/cli)@0\.1\.0/);
    },
    INSTALL_MS,
  );

  it(
    "is refused by wsgen generate with the version it found, when installed anyway",
    async () => {
      const result = await run("npx", ["wsgen", "generate"], project());
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /this project has zod 3\.\d+\.\d+ \(node_modules\/zod\/package\.json\); wsgen needs zod 4\. \[ERR_ZOD_VERSION\]/,
      );
      expect(result.stderr).not.toMatch(/TS2740|TS2344/);
    },
    STEP_MS,
  );

  it(
    "is refused by the runtime when a route is built, not later by a documentation request",
    async () => {
      const result = await runOk(process.execPath, ["src/start.js"], project());
      expect(result.stdout).toMatch(
        /^ERR_ZOD_VERSION: Route "orders": the request schema Req is not a zod 4 schema \(it looks like a zod 3 schema\)/,
      );
    },
    STEP_MS,
  );
});
