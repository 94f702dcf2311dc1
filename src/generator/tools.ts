/**
 * Tools: loading of the heavy tools, once per run. ts-morph (wsgen's own
 * dependency, with its own TypeScript for discovery) is CommonJS and loads
 * fastest through `createRequire`. Prettier, eslint and typescript are the
 * user's: they are resolved from the project root only, so that the gates use
 * the versions and configs the project uses, and a tool the project does not
 * have counts as missing (its gate is then skipped or refused, gate-plan.ts)
 * rather than borrowed from wherever wsgen happens to be installed.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError } from "./errors.js";

const requireHere = createRequire(import.meta.url);

export type TsMorph = typeof import("ts-morph");
let tsMorph: TsMorph | undefined;

export function loadTsMorph(): TsMorph {
  tsMorph ??= requireHere("ts-morph") as TsMorph;
  return tsMorph;
}

/** The tools the gates take from the project, and the gate each one serves. */
export const GATE_TOOLS = { format: "prettier", lint: "eslint", typecheck: "typescript" } as const;
export type GateName = keyof typeof GATE_TOOLS;

/** What `name` resolves to from the project root (its CommonJS entry), or undefined when the project does not have it. */
export function findInProject(root: string, name: string): string | undefined {
  try {
    return createRequire(join(root, "package.json")).resolve(name);
  } catch {
    return undefined;
  }
}

/** The project's copy of `name`, or ERR_TOOL_MISSING naming the gate that needs it. */
export function resolveFromProject(root: string, name: string, gate: GateName): string {
  const resolved = findInProject(root, name);
  if (resolved === undefined) throw missingTool(name, gate);
  return resolved;
}

export function missingTool(name: string, gate: GateName): InputError {
  return InputError.at(
    undefined,
    `${name} is not installed in this project, and the ${gate} gate is required (gates.${gate} is true).`,
    `npm install --save-dev ${name}; or set gates.${gate} to "auto" to skip the gate when ${name} is missing, or pass --no-${gate}.`,
    "ERR_TOOL_MISSING",
  );
}

export interface PackageManifest {
  /** Absolute path of the package's folder. */
  dir: string;
  version: string;
  bin?: string | Record<string, string>;
}

/** The project's installed `name` package.json, or undefined when the project does not have it. */
export function projectPackage(root: string, name: string): PackageManifest | undefined {
  const path = findInProject(root, `${name}/package.json`);
  if (path === undefined) return undefined;
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Omit<PackageManifest, "dir">;
  return { ...manifest, dir: dirname(path) };
}

/** Imports the project's `name`; ERR_TOOL_MISSING when it has none. */
export async function importFromProject<T>(root: string, name: string, gate: GateName): Promise<T> {
  const resolved = resolveFromProject(root, name, gate);
  // require.resolve finds the CommonJS entry; its namespace may list the API only under `default`.
  const namespace = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  const commonJs = namespace.default;
  return (typeof commonJs === "object" && commonJs !== null ? { ...commonJs, ...namespace } : namespace) as T;
}
