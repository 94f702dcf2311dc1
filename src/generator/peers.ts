/**
 * Peers: the packages of the user's project that the generated code runs
 * on, checked before any work, so that a wrong one is one clear message
 * instead of a wall of type errors (zod 3's schemas fail the typecheck gate
 * with TS2740/TS2344, and would crash the AsyncAPI writer at run time).
 */
import { join } from "node:path";
import { InputError } from "./errors.js";
import { relativeTo } from "./paths.js";
import { projectPackage } from "./tools.js";

/** The zod major the runtime is built on (package.json peerDependencies says `^4.0.0`). */
export const ZOD_MAJOR = 4;

/** Throws an InputError unless the project at `root` resolves zod 4. */
export function checkProjectZod(root: string): void {
  const found = projectPackage(root, "zod");
  if (found === undefined) {
    throw InputError.at(
      undefined,
      "zod is not installed in this project: the models and the generated routers are zod schemas.",
      `npm install zod@^${ZOD_MAJOR}`,
      "ERR_ZOD_VERSION",
    );
  }
  const major = Number.parseInt(found.version, 10);
  if (major !== ZOD_MAJOR) {
    throw InputError.at(
      undefined,
      `this project has zod ${found.version} (${relativeTo(root, join(found.dir, "package.json"))}); wsgen needs zod ${ZOD_MAJOR}.`,
      `npm install zod@^${ZOD_MAJOR}: the models' schemas must be zod ${ZOD_MAJOR} schemas (import { z } from "zod").`,
      "ERR_ZOD_VERSION",
    );
  }
}
