/**
 * Builds both packages' dist/ once before the suite: the CLI tests run
 * `bin/wsgen.js` as a real process (its dist/ imports the runtime's built
 * `wsgen/internal`), and temporary projects type-check against the runtime's
 * published types (packages/wsgen/dist/index.d.ts), as an installed package
 * would be.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./project.js";

export default function setup(): void {
  for (const project of ["packages/wsgen/tsconfig.build.json", "tsconfig.build.json"]) {
    execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", project], {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
  }
}
