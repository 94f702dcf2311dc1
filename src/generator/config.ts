/**
 * Configuration: `wsgen.config.json`, `.mjs` or `.ts` (exporting
 * `defineConfig({...})`) at the project root, validated with zod. Every
 * path in it is relative to the config file's folder, the project root.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { ASYNCAPI_VERSIONS, isModuleName } from "wsgen/internal";
import { InputError, type Problem } from "./errors.js";
import { isInOutputFolder, relativeTo } from "./paths.js";

export const CONFIG_FILES = ["wsgen.config.json", "wsgen.config.mjs", "wsgen.config.ts"] as const;

/**
 * The value each optional key takes when the config leaves it out: the
 * schema's defaults, and the defaults the CLI's help names.
 */
export const CONFIG_DEFAULTS = {
  tsconfig: "tsconfig.json",
  outputDir: "ws_generated",
  gates: { format: "auto", lint: "auto", typecheck: true },
  spec: { dir: "specs_generated", version: "3.0.0" },
} as const;

/**
 * A gate's setting: `true` runs it and fails the run when its tool is not
 * installed in the project; `"auto"` runs it when the tool is installed (and,
 * for lint, configured) and skips it with a one-line notice otherwise;
 * `false` turns it off.
 */
const GateSetting = z.union([z.boolean(), z.literal("auto")]);
export type GateSetting = z.output<typeof GateSetting>;

const Gates = z
  .object({
    /**
     * Format the output with the project's prettier and its config (also `wsgen spec`'s documents).
     * @default "auto"
     */
    format: GateSetting.default(CONFIG_DEFAULTS.gates.format),
    /**
     * Lint the output with the project's eslint and its flat config, applying eslint's fixes; errors fail the run.
     * @default "auto"
     */
    lint: GateSetting.default(CONFIG_DEFAULTS.gates.lint),
    /**
     * Type-check the output, and the project files it imports, under the project's tsconfig.
     * @default true
     */
    typecheck: GateSetting.default(CONFIG_DEFAULTS.gates.typecheck),
  })
  .strict();

/** The gates' settings as the config gives them. */
export type GateSettings = z.output<typeof Gates>;

/** The gates a run applies: the settings, `--no-<gate>` flags, and which tools are installed (gate-plan.ts). */
export type Gates = Record<keyof GateSettings, boolean>;

export const WsgenConfig = z
  .object({
    /** Folder holding `<module>/ws.ts`. Required. */
    modulesDir: z.string().min(1),
    /**
     * tsconfig used for discovery and the typecheck gate.
     * @default "tsconfig.json"
     */
    tsconfig: z.string().min(1).default(CONFIG_DEFAULTS.tsconfig),
    /**
     * Folder, inside each module, that receives generated routers.
     * @default "ws_generated"
     */
    outputDir: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "a plain folder name")
      .default(CONFIG_DEFAULTS.outputDir),
    /**
     * Quality gates on the generated code; each can also be skipped per run with `--no-<gate>`.
     * @default { format: "auto", lint: "auto", typecheck: true }
     */
    gates: Gates.default(CONFIG_DEFAULTS.gates),
    /**
     * What `wsgen spec` writes.
     * @default { dir: "specs_generated", version: "3.0.0" }
     */
    spec: z
      .object({
        /**
         * Folder, inside each module, that receives `<module>_asyncapi.json`.
         * @default "specs_generated"
         */
        dir: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/, "a plain folder name")
          .default(CONFIG_DEFAULTS.spec.dir),
        /**
         * Where the merged document of all modules goes (relative to the project root).
         * @default undefined (no merged document)
         */
        merged: z.string().min(1).optional(),
        /**
         * AsyncAPI version of the documents; `--asyncapi` overrides it.
         * @default "3.0.0"
         */
        version: z.enum(ASYNCAPI_VERSIONS as [string, ...string[]]).default(CONFIG_DEFAULTS.spec.version),
      })
      .strict()
      .default(CONFIG_DEFAULTS.spec),
    /**
     * Typed client bindings of every module, in one file.
     * @default undefined (no client file)
     */
    client: z
      .object({
        /** Where the typed client bindings of all modules go (relative to the project root). Required with `client`. */
        out: z.string().regex(/\.ts$/, "a .ts file path"),
      })
      .strict()
      .optional(),
  })
  .strict();

export type WsgenConfigInput = z.input<typeof WsgenConfig>;

/** The validated config with absolute paths. */
export interface ResolvedConfig extends z.output<typeof WsgenConfig> {
  root: string;
  configPath: string;
  modulesPath: string;
  tsconfigPath: string;
  /** Absolute path of the client bindings, when configured. */
  clientPath: string | undefined;
}

/** Types a `wsgen.config.ts`/`.mjs`: `export default defineConfig({ modulesDir: "src/modules" })`. */
export function defineConfig(config: WsgenConfigInput): WsgenConfigInput {
  return config;
}

/** Finds and validates the config: `--config path`, else the first CONFIG_FILES entry in `cwd`. */
export async function loadConfig(cwd: string, explicit?: string): Promise<ResolvedConfig> {
  const configPath =
    explicit !== undefined ? resolve(cwd, explicit) : CONFIG_FILES.map((name) => join(cwd, name)).find((path) => existsSync(path));
  if (configPath === undefined) {
    throw InputError.at(
      undefined,
      `No wsgen config in ${cwd}.`,
      `Create wsgen.config.json with {"modulesDir": "src/modules"}, or pass --config <path>.`,
      "ERR_NO_CONFIG",
    );
  }
  if (!existsSync(configPath)) {
    throw InputError.at(undefined, `Config file ${configPath} does not exist.`, "Check the --config path.", "ERR_NO_CONFIG");
  }
  const root = dirname(configPath);
  const shown = relativeTo(cwd, configPath);
  const raw = await readConfigValue(configPath, shown);
  const parsed = WsgenConfig.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(
      parsed.error.issues.map((issue) =>
        configProblem(
          shown,
          `config ${issue.path.length > 0 ? `"${issue.path.join(".")}"` : "value"}: ${issue.message}`,
          "See the Configuration section of the wsgen README for every option.",
        ),
      ),
    );
  }
  const config = parsed.data;
  const modulesPath = resolve(root, config.modulesDir);
  if (!existsSync(modulesPath) || !statSync(modulesPath).isDirectory()) {
    throw configError(
      shown,
      `modulesDir "${config.modulesDir}" does not exist (${modulesPath}).`,
      "Point modulesDir at the folder holding <module>/ws.ts.",
    );
  }
  const tsconfigPath = resolve(root, config.tsconfig);
  if (!existsSync(tsconfigPath)) {
    throw configError(shown, `tsconfig "${config.tsconfig}" does not exist.`, 'Set "tsconfig" to your project\'s tsconfig.json.');
  }
  const clientPath = config.client !== undefined ? resolve(root, config.client.out) : undefined;
  // Module output folders are wsgen's alone (stale files are removed): the client must live elsewhere.
  if (clientPath !== undefined && isInOutputFolder(modulesPath, config.outputDir, clientPath)) {
    throw configError(
      shown,
      `client.out "${config.client?.out ?? ""}" is inside a module's ${config.outputDir}/ folder.`,
      "Put the client bindings outside every module's output folder, e.g. generated/client.ts.",
    );
  }
  return { ...config, root, configPath, modulesPath, tsconfigPath, clientPath };
}

/** A problem with the config file: zod issues carry no position, so each points at its first line. */
function configProblem(shown: string, message: string, hint: string): Problem {
  return { location: { file: shown, line: 1, column: 1 }, message, hint, code: "ERR_CONFIG" };
}

function configError(shown: string, message: string, hint: string): InputError {
  return new InputError([configProblem(shown, message, hint)]);
}

async function readConfigValue(path: string, shown: string): Promise<unknown> {
  if (path.endsWith(".json")) {
    try {
      return JSON.parse(readFileSync(path, "utf8")) as unknown;
    } catch (error) {
      throw configError(shown, `Config is not valid JSON: ${(error as Error).message}`, "Fix the JSON syntax.");
    }
  }
  try {
    const module = (await importConfigModule(path)) as { default?: unknown };
    return module.default;
  } catch (error) {
    throw configError(
      shown,
      `Config could not be loaded: ${(error as Error).message}`,
      "The file must `export default defineConfig({...})`.",
    );
  }
}

/** `.mjs` imports directly; `.ts` is transpiled to a temporary `.mjs` first (Node 20 cannot import TypeScript). */
async function importConfigModule(path: string): Promise<unknown> {
  if (!path.endsWith(".ts")) return import(pathToFileURL(path).href);
  const { ts } = await import("ts-morph");
  const output = ts.transpileModule(readFileSync(path, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: path,
  }).outputText;
  // Beside the original, so relative and package imports resolve the same way.
  const dir = await mkdtemp(join(dirname(path), ".wsgen-config-"));
  const file = join(dir, "config.mjs");
  try {
    await writeFile(file, output);
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Refuses module names outside the protocol's rule (isModuleName; nothing may leave modulesDir). */
export function checkModuleNames(names: readonly string[]): void {
  const bad = names.filter((name) => !isModuleName(name));
  if (bad.length > 0) {
    throw InputError.at(
      undefined,
      `Invalid module name${bad.length > 1 ? "s" : ""}: ${bad.map((name) => JSON.stringify(name)).join(", ")}.`,
      "A module name is a letter, then letters, digits, _ or - (market-data): the name of a folder directly inside modulesDir.",
      "ERR_MODULE_NAME",
    );
  }
}
