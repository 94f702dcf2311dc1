/**
 * The gates on a project whose typescript is 7, the native compiler: its tsc
 * type-checks the output overlaid beside its real place (and always removes
 * the overlay), and typescript-eslint, which cannot load under it, fails the
 * lint gate with a message saying so. TypeScript 7 is installed from the
 * registry once (tests/support/typescript7.ts).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "./support/cli.js";
import { createProject, linkPackage, REPO_ROOT, twoModuleFiles } from "./support/project.js";
import { TYPESCRIPT_7, typescript7 } from "./support/typescript7.js";

let installed: string;
beforeAll(() => {
  installed = typescript7();
}, 120_000);

/** A project of the two modules whose `typescript` (and, when asked, eslint and typescript-eslint) is TypeScript 7's install. */
function projectOnTypeScript7(name: string, files: Record<string, string> = {}, lintPackages: readonly string[] = []): string {
  const root = createProject(name, { ...twoModuleFiles, ...files });
  for (const tool of ["typescript", ...lintPackages]) linkPackage(root, tool, join(installed, "node_modules", tool));
  return root;
}

/** Temporary files or folders wsgen left in the project (its overlay, its tsconfig). */
function leftovers(root: string): string[] {
  const dirs = [root, join(root, "src/modules/broker"), join(root, "src/modules/datafeed")];
  return dirs.flatMap((dir) => readdirSync(dir).filter((name) => name.includes(".wsgen-")));
}

const brokenModel = twoModuleFiles["src/models/broker.ts"]!.replace(
  "export type PlacedOrder = z.infer<typeof PlacedOrder>;",
  "export type PlacedOrder = { id: number };\nexport const label: string = 1;",
);

describe(`the typecheck gate on TypeScript ${TYPESCRIPT_7}`, () => {
  it("type-checks the output with TypeScript 7's tsc and writes it", async () => {
    const root = projectOnTypeScript7("ts7-ok");
    const result = await runCli(root, ["generate", "--no-lint", "--json"]);
    expect(result.code, result.stdout).toBe(0);
    expect((JSON.parse(result.stdout) as { timings: { typecheck?: number } }).timings.typecheck).toBeGreaterThan(0);
    expect(readFileSync(join(root, "src/modules/broker/ws_generated/index.ts"), "utf8")).toContain("OrderWsRouter");
    expect(leftovers(root)).toEqual([]);
  }, 60_000);

  it("names file:line of errors in the output and in the model it imports, writes nothing, and removes its overlay", async () => {
    const root = projectOnTypeScript7("ts7-error", { "src/models/broker.ts": brokenModel });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the typecheck gate failed; nothing was written/);
    expect(result.stderr).toMatch(/src\/modules\/broker\/ws_generated\/order-ws-router\.ts:\d+:\d+: .* \[TS2322\]/);
    expect(result.stderr).toMatch(/src\/models\/broker\.ts:8:14: Type 'number' is not assignable to type 'string'\. \[TS2322\]/);
    expect(result.stderr).toMatch(/hint: src\/models\/broker\.ts is the project's own, .*: fix the errors there/);
    expect(result.stderr.match(/hint: The generated code does not type-check/g)).toHaveLength(1);
    expect(existsSync(join(root, "src/modules/broker/ws_generated"))).toBe(false);
    expect(leftovers(root)).toEqual([]);
  }, 60_000);

  it("points a CommonJS project at ESM, as with TypeScript 6", async () => {
    const root = projectOnTypeScript7("ts7-commonjs", { "package.json": JSON.stringify({ name: "fixture", private: true }) });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[TS(1295|1479|1286)\]/);
    expect(result.stderr).toMatch(/hint: wsgen and its generated code are ES modules/);
  }, 60_000);

  it("removes its overlay when interrupted while tsc runs, and dies of the signal", async () => {
    const root = projectOnTypeScript7("ts7-interrupt");
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/wsgen.js"), "generate", "--no-lint"], { cwd: root, stdio: "ignore" });
    const seen = await new Promise<boolean>((resolve) => {
      const poll = setInterval(() => {
        if (leftovers(root).length === 0) return;
        clearInterval(poll);
        child.kill("SIGINT");
        resolve(true);
      }, 2);
      child.on("close", () => {
        clearInterval(poll);
        resolve(false);
      });
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
      else child.on("close", (_code, closed) => resolve(closed));
    });
    expect(seen, "the overlay was seen before the run ended").toBe(true);
    expect(signal).toBe("SIGINT");
    expect(leftovers(root)).toEqual([]);
  }, 60_000);
});

describe(`the lint gate on TypeScript ${TYPESCRIPT_7}`, () => {
  it("says that typescript-eslint cannot load under TypeScript 7, and what to do (exit 2, not a crash)", async () => {
    const root = projectOnTypeScript7(
      "ts7-lint",
      {
        "eslint.config.js": 'import tseslint from "typescript-eslint";\nexport default tseslint.config(...tseslint.configs.recommended);\n',
      },
      ["eslint", "typescript-eslint"],
    );
    // A real process: Node 20 also reports the config's failed import as an unhandled rejection, which must not end the run.
    const result = await spawnCli(root, ["generate"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/the lint gate failed; nothing was written/);
    expect(result.stderr).toMatch(/eslint could not run: typescript-eslint does not support TS 7\.0\. \[eslint\]/);
    expect(result.stderr).toMatch(
      new RegExp(
        `hint: typescript-eslint does not support TypeScript 7 \\(this project has typescript ${TYPESCRIPT_7.replace(/\./g, "\\.")}\\)`,
      ),
    );
    expect(result.stderr).not.toMatch(/internal error/);
  }, 60_000);
});
