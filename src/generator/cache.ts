/**
 * Cache: the no-change shortcut. A record of the last successful
 * `generate`: the hash of every file it read (ws.ts, everything it imports,
 * the config, the tool configs and tool versions) and of every file it
 * wrote, under a key covering the selection and wsgen's templates. When all
 * of them still match, nothing can have changed: `generate` and `check`
 * answer "unchanged" without loading ts-morph or any gate.
 * Set WSGEN_CACHE=0 to bypass it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Gates, ResolvedConfig } from "./config.js";
import { writeAtomically } from "./output.js";

export interface CacheRecord {
  version: 1;
  key: string;
  /** Gates the recorded output passed. */
  gates: Gates;
  /** Absolute path → sha256 of every file the run read. */
  inputs: Record<string, string>;
  /** Absolute path → sha256 of every file the run wrote. */
  outputs: Record<string, string>;
  /** Owned output folder → the file names it held after the run (to catch extra files). */
  folders: Record<string, string[]>;
  /** Module name → output paths relative to the root, in result order. */
  modules: { name: string; files: string[] }[];
}

const TEMPLATES = fileURLToPath(new URL("../../templates/", import.meta.url));
const TOOL_CONFIG = /^(\.prettierrc.*|prettier\.config\..*|\.editorconfig|eslint\.config\..*|package\.json)$/;

export const cacheEnabled = (): boolean => process.env.WSGEN_CACHE !== "0";

export function cachePath(root: string): string {
  const modules = join(root, "node_modules");
  return existsSync(modules)
    ? join(modules, ".cache", "wsgen", "generate.json")
    : join(tmpdir(), `wsgen-cache-${hash(root).slice(0, 16)}.json`);
}

function hash(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

function hashFile(path: string): string | undefined {
  try {
    return hash(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** wsgen's own package.json: its version changes with every release, and with it what generate may write. */
const WSGEN_MANIFEST = fileURLToPath(new URL("../../package.json", import.meta.url));

/** What makes two runs comparable: the selected modules, the output locations, and wsgen's templates and version. */
export function cacheKey(config: ResolvedConfig, modules: readonly string[], withClient: boolean): string {
  const templates = readdirSync(TEMPLATES)
    .sort()
    .map((name) => `${name}:${hashFile(join(TEMPLATES, name)) ?? ""}`);
  const wsgen = hashFile(WSGEN_MANIFEST) ?? "";
  return hash(JSON.stringify({ config: { ...config, gates: undefined }, modules, withClient, templates, wsgen }));
}

/** Files beyond the sources that change the output: tool configs at the root, the tsconfig, and the tools' versions. */
function toolInputs(config: ResolvedConfig): string[] {
  const files = readdirSync(config.root)
    .filter((name) => TOOL_CONFIG.test(name))
    .map((name) => join(config.root, name));
  files.push(config.tsconfigPath);
  const require = createRequire(join(config.root, "package.json"));
  for (const tool of ["prettier", "eslint", "typescript", "typescript-eslint"]) {
    try {
      files.push(require.resolve(`${tool}/package.json`));
    } catch {
      // not installed: nothing to track
    }
  }
  return files;
}

/** The last record for this project, if every file it read and wrote is still exactly as recorded. */
export function readUpToDateRecord(config: ResolvedConfig, key: string): CacheRecord | undefined {
  let record: CacheRecord;
  try {
    record = JSON.parse(readFileSync(cachePath(config.root), "utf8")) as CacheRecord;
  } catch {
    return undefined;
  }
  if (record.version !== 1 || record.key !== key) return undefined;
  for (const [path, digest] of Object.entries({ ...record.inputs, ...record.outputs })) {
    if (hashFile(path) !== digest) return undefined;
  }
  for (const [folder, names] of Object.entries(record.folders)) {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) return undefined;
    if (readdirSync(folder).sort().join("\n") !== names.join("\n")) return undefined;
  }
  return record;
}

export async function saveCache(
  config: ResolvedConfig,
  key: string,
  gates: Gates,
  inputs: readonly string[],
  outputs: readonly string[],
  folders: readonly string[],
  modules: CacheRecord["modules"],
): Promise<void> {
  const record: CacheRecord = {
    version: 1,
    key,
    gates,
    inputs: Object.fromEntries([...new Set([...inputs, ...toolInputs(config)])].map((path) => [path, hashFile(path) ?? ""])),
    outputs: Object.fromEntries(outputs.map((path) => [path, hashFile(path) ?? ""])),
    folders: Object.fromEntries(folders.map((folder) => [folder, existsSync(folder) ? readdirSync(folder).sort() : []])),
    modules,
  };
  const path = cachePath(config.root);
  mkdirSync(dirname(path), { recursive: true });
  await writeAtomically(path, JSON.stringify(record));
}
