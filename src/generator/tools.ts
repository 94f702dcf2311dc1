/**
 * Tools: loading of the heavy tools (ts-morph with its TypeScript, prettier,
 * eslint), once per run. ts-morph is CommonJS and loads fastest through
 * `createRequire`; prettier and eslint are resolved from the user's project
 * first, so the gates use the versions (and configs) the project uses.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError } from "./errors.js";

const requireHere = createRequire(import.meta.url);

export type TsMorph = typeof import("ts-morph");
let tsMorph: TsMorph | undefined;

export function loadTsMorph(): TsMorph {
  tsMorph ??= requireHere("ts-morph") as TsMorph;
  return tsMorph;
}

function resolveFromProject(root: string, name: string, purpose: string): string {
  for (const require of [createRequire(join(root, "package.json")), requireHere]) {
    try {
      return require.resolve(name);
    } catch {
      // try the next place
    }
  }
  throw InputError.at(
    undefined,
    `${name} is not installed, and the ${purpose} needs it.`,
    `npm install --save-dev ${name}, or pass the --no-${purpose} flag.`,
    "ERR_TOOL_MISSING",
  );
}

export type TypeScript = typeof import("typescript");
const typescripts = new Map<string, TypeScript>();

/**
 * The project's own `typescript` (the one its typescript-eslint also uses),
 * required rather than imported: it is CommonJS, and require is much faster.
 */
export function loadProjectTypeScript(root: string): TypeScript {
  const path = resolveFromProject(root, "typescript", "typecheck");
  let ts = typescripts.get(path);
  if (ts === undefined) {
    ts = createRequire(path)(path) as TypeScript;
    typescripts.set(path, ts);
  }
  return ts;
}

/** Imports `name` as resolved from the project root, falling back to wsgen's own copy. */
export async function importFromProject<T>(root: string, name: string, purpose: string): Promise<T> {
  const resolved = resolveFromProject(root, name, purpose);
  // require.resolve finds the CommonJS entry; its namespace may list the API only under `default`.
  const namespace = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  const commonJs = namespace.default;
  return (typeof commonJs === "object" && commonJs !== null ? { ...commonJs, ...namespace } : namespace) as T;
}
