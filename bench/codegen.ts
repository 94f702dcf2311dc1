/**
 * Codegen timings: `wsgen generate` cold (all gates, no output yet) and the
 * no-change rerun, each a fresh `node bin/wsgen.js` process as a user runs
 * it, on synthetic projects. Prints medians of several runs.
 *
 *   npm run bench:codegen              # 1, 10, 50 modules × 4 routers, 5 runs each
 *   npx tsx bench/codegen.ts 50 3      # only 50 modules, 3 runs
 */
import { execFileSync, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
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
for (const modules of sizes) {
  const root = createProject(`bench-${modules}`, syntheticProjectFiles(modules));
  const cold: number[] = [];
  const rerun: number[] = [];
  const check: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (let m = 1; m <= modules; m++) rmSync(join(root, `src/modules/module${m}/ws_generated`), { recursive: true, force: true });
    cold.push(time(root, ["generate"]));
    rerun.push(time(root, ["generate"]));
    check.push(time(root, ["check"]));
  }
  console.log(`| ${modules} × 4 | ${median(cold).toFixed(0)} | ${median(rerun).toFixed(0)} | ${median(check).toFixed(0)} |`);
  removeProject(root);
}
