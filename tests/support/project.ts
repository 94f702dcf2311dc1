/**
 * Temporary user projects for generator tests, under `test-output/projects/`.
 * They resolve `wsgen` (the runtime, packages/wsgen) through this repository's
 * node_modules further up, where npm's workspace link puts it, and
 * `@wsgen/cli` (for `@wsgen/cli/config`) through
 * `test-output/node_modules/@wsgen/cli`, a link to this repository, as an
 * installed package would be.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const OUTPUT = join(REPO_ROOT, "test-output");

function ensureCliLink(): void {
  // Before the package split, test-output/node_modules/wsgen linked to this repository (now the CLI).
  rmSync(join(OUTPUT, "node_modules", "wsgen"), { force: true, recursive: false });
  const link = join(OUTPUT, "node_modules", "@wsgen", "cli");
  if (existsSync(link) || isLink(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  try {
    symlinkSync(relative(dirname(link), REPO_ROOT), link, "dir");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export const baseFiles: Record<string, string> = {
  "package.json": JSON.stringify({ name: "fixture", private: true, type: "module" }, null, 2),
  "tsconfig.json": JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        types: ["node"],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        verbatimModuleSyntax: true,
      },
      include: ["src"],
    },
    null,
    2,
  ),
  ".prettierrc.json": JSON.stringify({ printWidth: 100 }),
  "eslint.config.js": [
    'import js from "@eslint/js";',
    'import tseslint from "typescript-eslint";',
    "export default tseslint.config(",
    "  js.configs.recommended,",
    "  ...tseslint.configs.recommendedTypeChecked,",
    "  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },",
    '  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },',
    ");",
    "",
  ].join("\n"),
  "wsgen.config.json": JSON.stringify({ modulesDir: "src/modules" }, null, 2),
};

/** Two modules, three routers, models reached through a rename and an `export *`; the bars route declares its delivery in ws.ts. */
export const twoModuleFiles: Record<string, string> = {
  ...baseFiles,
  "src/models/broker.ts": [
    'import { z } from "zod";',
    "",
    "export const OrderSubscriptionRequest = z.object({ accountId: z.string() });",
    "export type OrderSubscriptionRequest = z.infer<typeof OrderSubscriptionRequest>;",
    "",
    "export const PlacedOrder = z.object({ id: z.string(), symbol: z.string(), qty: z.number() });",
    "export type PlacedOrder = z.infer<typeof PlacedOrder>;",
    "",
    "const PositionModel = z.object({ symbol: z.string(), qty: z.number() });",
    "type PositionModel = z.infer<typeof PositionModel>;",
    "export { PositionModel as Position };",
    "",
  ].join("\n"),
  "src/models/datafeed.ts": [
    'import { z } from "zod";',
    "",
    'export const BarSubscriptionRequest = z.object({ symbol: z.string(), resolution: z.string().default("1D") });',
    "export type BarSubscriptionRequest = z.infer<typeof BarSubscriptionRequest>;",
    "",
    "export const Bar = z.object({ time: z.number(), open: z.number(), high: z.number(), low: z.number(), close: z.number(), volume: z.number() });",
    "export type Bar = z.infer<typeof Bar>;",
    "",
  ].join("\n"),
  "src/models/index.ts": 'export * from "./datafeed.js";\n',
  "src/modules/broker/ws.ts": [
    'import type { WsRouter } from "wsgen";',
    'import type { OrderSubscriptionRequest, PlacedOrder, Position } from "../../models/broker.js";',
    "",
    "/** Orders of one account. */",
    "export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;",
    "",
    "/** @route positions */",
    "export type PositionWsRouter = WsRouter<OrderSubscriptionRequest, Position>;",
    "",
  ].join("\n"),
  "src/modules/datafeed/ws.ts": [
    'import type { WsRouter as Router } from "wsgen";',
    'import type * as models from "../../models/index.js";',
    "",
    "/**",
    " * Bars of one symbol.",
    " * @route bars",
    " * @latestValue",
    " * @see https://example.com/bars",
    " * @lagPolicy conflate",
    " * @historySize 500",
    " */",
    "type BarWsRouter = Router<models.BarSubscriptionRequest, models.Bar>;",
    "export type { BarWsRouter };",
    "",
  ].join("\n"),
};

/** Writes `files` into a fresh folder and returns its absolute path. */
export function createProject(name: string, files: Record<string, string>): string {
  ensureCliLink();
  mkdirSync(join(OUTPUT, "projects"), { recursive: true });
  const root = mkdtempSync(join(OUTPUT, "projects", `${name}-`));
  writeFiles(root, files);
  return root;
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** Every file under `dir` (relative path → content), for before/after comparisons. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return out;
}

export function removeProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * A project outside this repository, so that nothing resolves from the
 * repository's node_modules: it has exactly the `packages` given, linked from
 * there (for a project without prettier or eslint, say). Remove it with
 * removeProject.
 */
export function createIsolatedProject(name: string, files: Record<string, string>, packages: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), `wsgen-${name}-`));
  writeFiles(root, files);
  for (const name of packages) linkPackage(root, name, join(REPO_ROOT, "node_modules", name));
  return root;
}

/** Makes `target` the project's installed `name` (node_modules/<name> → target). */
export function linkPackage(root: string, name: string, target: string): void {
  const link = join(root, "node_modules", name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(target, link, "dir");
}
