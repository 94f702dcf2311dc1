/**
 * Codegen timings: `wsgen generate` cold (all gates, no output yet) and the
 * no-change rerun, each a fresh `node bin/wsgen.js` process as a user runs
 * it, on synthetic projects. Prints medians of several runs.
 *
 *   npm run bench:codegen                            # the example, then 1, 10, 50 modules × 4 routers, 5 runs each
 *   npx tsx bench/codegen.ts 50 3 no-example         # only 50 modules, 3 runs
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createProject, REPO_ROOT, removeProject } from "../tests/support/project.js";
import { syntheticProjectFiles } from "./synthetic-project.js";

const sizes = (process.argv[2] ?? "1,10,50").split(",").map(Number);
const runs = Number(process.argv[3] ?? 5);
const bin = join(REPO_ROOT, "bin/wsgen.js");

execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT });

function time(cwd: string, args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: process.env });
  const elapsed = performance.now() - start;
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`wsgen ${args.join(" ")} exited ${String(result.status)}:\n${result.stderr}`);
  return elapsed;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

console.log(`node ${process.version}, ${runs} runs each, medians in ms`);
console.log(
  "| project | cold generate, all gates | no-change rerun | check | floor: prettier --check + eslint + tsc --noEmit | bare tsc --noEmit | cold ÷ floor |",
);
console.log("|---|---|---|---|---|---|---|");
/** Times a command (node script + args) in `cwd`. */
function timeNode(cwd: string, script: string, args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, [join(REPO_ROOT, script), ...args], { cwd, encoding: "utf8" });
  const elapsed = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`${script} ${args.join(" ")} exited ${String(result.status)}:\n${result.stdout}${result.stderr}`);
  return elapsed;
}

/** The generated .ts files under `outputs` (folders or files), relative to `root`. */
function outputFiles(root: string, outputs: string[]): string[] {
  return outputs.flatMap((output) =>
    output.endsWith(".ts")
      ? [output]
      : readdirSync(join(root, output))
          .filter((name) => name.endsWith(".ts"))
          .map((name) => `${output}/${name}`),
  );
}

/**
 * Times cold (output removed, cache cleared), the no-change rerun, check, and
 * the floor: prettier --check, eslint and tsc --noEmit as their own CLIs on
 * the same output, back to back; and bare tsc --noEmit.
 */
function measure(root: string, outputs: string[]): string {
  const cold: number[] = [];
  const rerun: number[] = [];
  const check: number[] = [];
  const floor: number[] = [];
  const tsc: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const output of outputs) rmSync(join(root, output), { recursive: true, force: true });
    rmSync(join(root, "node_modules/.cache/wsgen"), { recursive: true, force: true });
    process.env.WSGEN_CACHE = "0";
    cold.push(time(root, ["generate"]));
    delete process.env.WSGEN_CACHE;
    time(root, ["generate"]); // records the cache
    rerun.push(time(root, ["generate"]));
    check.push(time(root, ["check"]));
    const files = outputFiles(root, outputs);
    const prettier = timeNode(root, "node_modules/prettier/bin/prettier.cjs", ["--check", ...files]);
    const eslint = timeNode(root, "node_modules/eslint/bin/eslint.js", files);
    const bareTsc = timeNode(root, "node_modules/typescript/bin/tsc", ["--noEmit", "-p", "tsconfig.json"]);
    floor.push(prettier + eslint + bareTsc);
    tsc.push(bareTsc);
  }
  const ratio = median(cold) / median(floor);
  return `${median(cold).toFixed(0)} | ${median(rerun).toFixed(0)} | ${median(check).toFixed(0)} | ${median(floor).toFixed(0)} | ${median(tsc).toFixed(0)} | ${ratio.toFixed(2)}`;
}

if (process.argv[4] !== "no-example") {
  // The trading example, in a copy so the committed output is never touched.
  const copy = createProject("bench-example", {});
  for (const path of [
    "wsgen.config.json",
    "tsconfig.json",
    ".prettierrc.json",
    "package.json",
    "eslint.config.js",
    "examples/trading",
    "generated",
  ]) {
    cpSync(join(REPO_ROOT, path), join(copy, path), { recursive: true });
  }
  const outputs = [
    "examples/trading/src/modules/broker/ws_generated",
    "examples/trading/src/modules/datafeed/ws_generated",
    "generated/client.ts",
  ];
  console.log(`| trading example (2 modules, 5 routers + client) | ${measure(copy, outputs)} |`);
  removeProject(copy);
}
for (const modules of sizes) {
  const root = createProject(`bench-${modules}`, syntheticProjectFiles(modules));
  const outputs = Array.from({ length: modules }, (_, index) => `src/modules/module${index + 1}/ws_generated`);
  console.log(`| ${modules} × 4 | ${measure(root, outputs)} |`);
  removeProject(root);
}
