/**
 * Codegen timings: `wsgen generate` cold (all gates, no output yet) and the
 * no-change rerun, each a fresh `node bin/wsgen.js` process as a user runs
 * it, on synthetic projects. Prints medians of several runs.
 *
 *   npm run bench:codegen              # 1, 10, 50 modules × 4 routers, 5 runs each
 *   npx tsx bench/codegen.ts 50 3      # only 50 modules, 3 runs
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createProject, REPO_ROOT, removeProject } from "../tests/support/project.js";
import { syntheticProjectFiles } from "./synthetic-project.js";

const sizes = process.argv[2] !== undefined ? [Number(process.argv[2])] : [1, 10, 50];
const runs = Number(process.argv[3] ?? 5);
const bin = join(REPO_ROOT, "bin/wsgen.js");

execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT });

function time(cwd: string, args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });
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
console.log("| modules × routers | cold generate (all gates) | no-change rerun | check |");
console.log("|---|---|---|---|");
/** Times cold (output removed), no-change rerun and check in `root`, `runs` times. */
function measure(root: string, outputs: string[]): string {
  const cold: number[] = [];
  const rerun: number[] = [];
  const check: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const output of outputs) rmSync(join(root, output), { recursive: true, force: true });
    cold.push(time(root, ["generate"]));
    rerun.push(time(root, ["generate"]));
    check.push(time(root, ["check"]));
  }
  return `${median(cold).toFixed(0)} | ${median(rerun).toFixed(0)} | ${median(check).toFixed(0)}`;
}

if (process.argv[2] === undefined) {
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
