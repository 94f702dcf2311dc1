/**
 * TypeScript 7 (the native compiler) for the tests that need it, installed
 * from the registry once into `test-output/typescript-<version>/` and reused
 * by later runs (a fresh clone installs it on its first run, in a few
 * seconds). Beside it: eslint and typescript-eslint, installed with
 * --legacy-peer-deps as a project on TypeScript 7 must, since
 * typescript-eslint's peer range stops before 7; they load this TypeScript.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./project.js";

export const TYPESCRIPT_7 = "7.0.2";
const PACKAGES = [`typescript@${TYPESCRIPT_7}`, "typescript-eslint@8.74.0", "eslint@10.15.0"];

/** The folder whose node_modules holds TypeScript 7, installing it first when absent. */
export function typescript7(): string {
  const dir = join(REPO_ROOT, "test-output", `typescript-${TYPESCRIPT_7}`);
  const manifest = join(dir, "node_modules", "typescript", "package.json");
  if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version === TYPESCRIPT_7) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "typescript-7-for-tests", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--legacy-peer-deps", "--prefix", dir, ...PACKAGES], {
    cwd: dir,
    stdio: "pipe",
  });
  return dir;
}
