/**
 * The gates (format, lint, typecheck) on the rendered output: a failing gate
 * exits 2 with a message naming file, line and column (and rule or TS code),
 * and leaves ws_generated/ exactly as it was; a gate set to "auto" whose tool
 * the project lacks is skipped with one notice; lint fixes are applied; the
 * typecheck gate also fails on errors of the files the output imports.
 * TypeScript 7 is in generator-typescript7.test.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import {
  baseFiles,
  createIsolatedProject,
  createProject,
  removeProject,
  snapshotTree,
  twoModuleFiles,
  writeFiles,
} from "./support/project.js";

describe("gate failures", () => {
  async function generatedThenBroken(breakage: Record<string, string>) {
    const root = createProject("gate", twoModuleFiles);
    expect((await runCli(root, ["generate", "--no-lint"])).code).toBe(0);
    const before = snapshotTree(join(root, "src/modules"));
    // A new router, so the failing run has something to write.
    writeFiles(root, {
      "src/modules/broker/ws.ts": `${twoModuleFiles["src/modules/broker/ws.ts"]}\nexport type ExtraWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`,
      ...breakage,
    });
    const after = (): Record<string, string> => {
      const tree = snapshotTree(join(root, "src/modules"));
      delete tree["broker/ws.ts"];
      const expected = { ...before };
      delete expected["broker/ws.ts"];
      return { tree, expected } as never;
    };
    return { root, after };
  }

  it("format: a prettier that cannot format leaves ws_generated/ as it was", async () => {
    const { root, after } = await generatedThenBroken({ ".prettierrc.json": JSON.stringify({ parser: "no-such-parser" }) });
    const result = await runCli(root, ["generate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the format gate failed; nothing was written/);
    expect(result.stderr).toMatch(
      /src\/modules\/broker\/ws_generated\/extra-ws-router\.ts:1:1: prettier could not format the output: .*no-such-parser/,
    );
    const { tree, expected } = after() as unknown as { tree: object; expected: object };
    expect(tree).toEqual(expected);
  });

  it("lint: a rule the output breaks names file, line and rule, and nothing is written", async () => {
    const { root, after } = await generatedThenBroken({
      "eslint.config.js":
        'import tseslint from "typescript-eslint";\nexport default tseslint.config(...tseslint.configs.recommended, { rules: { "max-lines": ["error", 5] } });\n',
    });
    const result = await runCli(root, ["generate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the lint gate failed; nothing was written/);
    expect(result.stderr).toMatch(
      /src\/modules\/broker\/ws_generated\/extra-ws-router\.ts:6:1: File has too many lines \(\d+\)\. Maximum allowed is 5\. \[max-lines\]/,
    );
    // One hint for every file that breaks the rule, not one per file.
    expect(result.stderr.match(/max-lines/g)!.length).toBeGreaterThan(1);
    expect(result.stderr.match(/hint: /g)).toHaveLength(1);
    const { tree, expected } = after() as unknown as { tree: object; expected: object };
    expect(tree).toEqual(expected);
  }, 30_000);

  it("typecheck: a type that does not match its schema names the TS code, and nothing is written", async () => {
    const { root, after } = await generatedThenBroken({
      "src/models/broker.ts": twoModuleFiles["src/models/broker.ts"]!.replace(
        "export type PlacedOrder = z.infer<typeof PlacedOrder>;",
        "export type PlacedOrder = { id: number };",
      ),
    });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the typecheck gate failed; nothing was written/);
    expect(result.stderr).toMatch(/src\/modules\/broker\/ws_generated\/extra-ws-router\.ts:\d+:\d+: .* \[TS2322\]/);
    const { tree, expected } = after() as unknown as { tree: object; expected: object };
    expect(tree).toEqual(expected);
  }, 30_000);
});

/** The two modules' project with its eslint config's rules extended by `rules`. */
function withLintRules(rules: string): Record<string, string> {
  return { ...twoModuleFiles, "eslint.config.js": baseFiles["eslint.config.js"]!.replace(/\);\n$/, `  { rules: ${rules} },\n);\n`) };
}

describe("lint fixes", () => {
  it("applies eslint's fixes in memory and writes the fixed text, which check and a rerun agree with", async () => {
    const root = createProject("lint-fix", withLintRules('{ "capitalized-comments": ["error", "never"] }'));
    const first = await runCli(root, ["generate"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const barrel = readFileSync(join(root, "src/modules/broker/ws_generated/index.ts"), "utf8");
    expect(barrel).toMatch(/^\/\/ generated by wsgen from src\/modules\/broker\/ws\.ts/);
    expect((await runCli(root, ["check"])).code).toBe(0);
    process.env.WSGEN_CACHE = "0";
    try {
      expect((await runCli(root, ["check"])).code).toBe(0);
      const again = await runCli(root, ["generate", "--json"]);
      const files = (JSON.parse(again.stdout) as { modules: { files: { status: string }[] }[] }).modules.flatMap((module) => module.files);
      expect(files.every((file) => file.status === "unchanged")).toBe(true);
    } finally {
      delete process.env.WSGEN_CACHE;
    }
  }, 60_000);

  it("fails on a fix that prettier undoes, saying so once", async () => {
    const root = createProject("lint-undone", withLintRules('{ quotes: ["error", "single"] }'));
    const result = await runCli(root, ["generate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ws_generated\/order-ws-router\.ts:\d+:\d+: Strings must use singlequote\. \[quotes\]/);
    expect(result.stderr.match(/hint: eslint's fix for a rule marked fixable was undone by prettier/g)).toHaveLength(1);
    expect(existsSync(join(root, "src/modules/broker/ws_generated"))).toBe(false);
  }, 60_000);
});

describe("the typecheck gate on the files the output imports", () => {
  it("fails on an error in a model file, naming it with a hint that the fix is there", async () => {
    const root = createProject("model-error", {
      ...twoModuleFiles,
      "src/models/broker.ts": `${twoModuleFiles["src/models/broker.ts"]!}export const label: string = 1;\n`,
    });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/src\/models\/broker\.ts:12:14: Type 'number' is not assignable to type 'string'\. \[TS2322\]/);
    expect(result.stderr).toMatch(
      /hint: src\/models\/broker\.ts is the project's own, and the generated code depends on it: fix the errors there/,
    );
    expect(result.stderr).not.toMatch(/ws_generated\/.*\[TS/);
    expect(existsSync(join(root, "src/modules/broker/ws_generated"))).toBe(false);
  }, 30_000);

  it("fails on an error in ws.ts, and ignores a broken file the output does not import", async () => {
    const broken = createProject("ws-error", {
      ...twoModuleFiles,
      "src/modules/broker/ws.ts": `${twoModuleFiles["src/modules/broker/ws.ts"]!}const unused: number = "x";\n`,
    });
    const result = await runCli(broken, ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/src\/modules\/broker\/ws\.ts:9:7: Type 'string' is not assignable to type 'number'\. \[TS2322\]/);
    const unrelated = createProject("unrelated-error", { ...twoModuleFiles, "src/other.ts": 'export const n: number = "x";\n' });
    const clean = await runCli(unrelated, ["generate", "--no-lint"]);
    expect(clean.stderr).toBe("");
    expect(clean.code).toBe(0);
  }, 30_000);
});

describe("gate settings and missing tools", () => {
  const isolated: string[] = [];
  afterAll(() => isolated.forEach(removeProject));
  /** A Fastify-style project: moduleResolution bundler, and neither prettier nor eslint installed. */
  function bareProject(name: string, config: object = {}, extraPackages: string[] = []): string {
    const tsconfig = JSON.parse(baseFiles["tsconfig.json"]!) as { compilerOptions: Record<string, unknown> };
    Object.assign(tsconfig.compilerOptions, { module: "preserve", moduleResolution: "bundler" });
    const files: Record<string, string> = {
      ...twoModuleFiles,
      "tsconfig.json": JSON.stringify(tsconfig),
      "wsgen.config.json": JSON.stringify({ modulesDir: "src/modules", ...config }),
    };
    delete files[".prettierrc.json"];
    delete files["eslint.config.js"];
    const root = createIsolatedProject(name, files, ["wsgen", "zod", "typescript", "@types/node", ...extraPackages]);
    isolated.push(root);
    return root;
  }

  it('skips a gate set to "auto" (the default) whose tool is not installed, with one notice each, and --json reports it', async () => {
    const root = bareProject("no-tools");
    const result = await runCli(root, ["generate"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split("\n")).toEqual([
      "wsgen: format gate skipped: prettier is not installed in this project (npm i -D prettier to enable)",
      "wsgen: lint gate skipped: eslint is not installed in this project (npm i -D eslint to enable)",
    ]);
    expect(readFileSync(join(root, "src/modules/broker/ws_generated/index.ts"), "utf8")).toContain("OrderWsRouter");
    const json = JSON.parse((await runCli(root, ["generate", "--json"])).stdout) as { skipped: { gate: string; reason: string }[] };
    expect(json.skipped.map(({ gate, reason }) => `${gate}:${reason}`)).toEqual(["format:not-installed", "lint:not-installed"]);
    expect((await runCli(root, ["generate", "--no-format", "--no-lint"])).stderr).toBe("");
  }, 30_000);

  it("refuses a missing tool when the config requires its gate", async () => {
    const root = bareProject("required-tool", { gates: { format: true } });
    const result = await runCli(root, ["generate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /prettier is not installed in this project, and the format gate is required \(gates\.format is true\)\. \[ERR_TOOL_MISSING\]/,
    );
    expect(result.stderr).toMatch(/hint: npm install --save-dev prettier/);
    expect(existsSync(join(root, "src/modules/broker/ws_generated"))).toBe(false);
  }, 30_000);

  it("skips lint when eslint is installed but has no config, unless required", async () => {
    const root = bareProject("no-eslint-config", {}, ["eslint"]);
    const skipped = await runCli(root, ["generate", "--no-format"]);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toBe(
      "wsgen: lint gate skipped: eslint is installed but this project has no eslint.config.* (add one to enable)",
    );
    writeFiles(root, { "wsgen.config.json": JSON.stringify({ modulesDir: "src/modules", gates: { lint: true } }) });
    const required = await runCli(root, ["generate", "--no-format"]);
    expect(required.code).toBe(2);
    expect(required.stderr).toMatch(/\[ERR_NO_ESLINT_CONFIG\]/);
  }, 30_000);

  for (const version of ["5.4.5", "8.0.0"]) {
    it(`refuses typescript ${version} up front (exit 2), before loading anything`, async () => {
      const root = createProject(`ts-${version}`, {
        ...twoModuleFiles,
        "node_modules/typescript/package.json": JSON.stringify({ name: "typescript", version, main: "./lib/typescript.js" }),
      });
      const result = await runCli(root, ["generate", "--json"]);
      expect(result.code).toBe(2);
      const { error, timings } = JSON.parse(result.stdout) as { error: { problems: { code: string; message: string }[] }; timings: object };
      expect(error.problems).toEqual([
        expect.objectContaining({ code: "ERR_TOOL_VERSION", message: expect.stringContaining(`typescript ${version} is installed`) }),
      ]);
      expect(timings).not.toHaveProperty("load");
    });
  }
});
