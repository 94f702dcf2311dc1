/**
 * The one zod check of the runtime: route schemas must be zod 4 schemas, and
 * the zod the runtime resolves (its peer dependency) must be zod 4, which
 * has `z.toJSONSchema` for the AsyncAPI documents. Checked when a route is
 * built, so an app on zod 3 fails at start with one clear error instead of
 * validating oddly and failing its documentation requests later.
 */
import { z } from "zod";
import { WsgenError } from "./errors.js";

const HINT = 'wsgen needs zod 4: npm install zod@^4, and build the models with import { z } from "zod".';

/** Throws ERR_ZOD_VERSION unless `schema` is a zod 4 schema and the runtime's own zod is zod 4. */
export function checkZodSchema(route: string, role: "request" | "data", model: string, schema: unknown): void {
  if (typeof schema !== "object" || schema === null || !("_zod" in schema)) {
    // zod 3 schemas carry `_def` but not zod 4's `_zod`.
    const looksLike = typeof schema === "object" && schema !== null && "_def" in schema ? " (it looks like a zod 3 schema)" : "";
    throw new WsgenError("ERR_ZOD_VERSION", `Route "${route}": the ${role} schema ${model} is not a zod 4 schema${looksLike}. ${HINT}`);
  }
  if (typeof (z as { toJSONSchema?: unknown }).toJSONSchema !== "function") {
    throw new WsgenError("ERR_ZOD_VERSION", `The zod package that wsgen resolves is not zod 4 (it has no z.toJSONSchema). ${HINT}`);
  }
}
