/**
 * Builds dist/ once before the suite: the CLI tests run `bin/wsgen.js` as a
 * real process, and temporary projects type-check against wsgen's published
 * types (dist/index.d.ts), as an installed package would be.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./project.js";

export default function setup(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
}
