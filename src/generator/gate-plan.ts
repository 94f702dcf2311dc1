/**
 * Gate plan: which gates a run applies, decided before anything is loaded
 * from the settings (`true`, `"auto"`, `false`), the `--no-<gate>` flags and
 * the tools the project has. A gate set to `"auto"` whose tool is missing (or,
 * for lint, has no config) is skipped with one notice; one set to `true` is
 * refused then, as is a TypeScript version the typecheck gate cannot use.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { GateSettings, Gates, ResolvedConfig } from "./config.js";
import { InputError } from "./errors.js";
import { projectTypeScript, type ProjectTypeScript } from "./typescript.js";
import { findInProject, GATE_TOOLS, missingTool, type GateName } from "./tools.js";

/** A gate that did not run because its tool is missing or unconfigured; `--json` reports it, the human report prints its message. */
export interface SkippedGate {
  gate: GateName;
  tool: string;
  reason: "not-installed" | "not-configured";
  /** One line, e.g. `lint gate skipped: eslint is not installed in this project (npm i -D eslint to enable)`. */
  message: string;
}

export interface GatePlan {
  gates: Gates;
  skipped: SkippedGate[];
  /** The project's TypeScript, when a gate that runs can use it. */
  typescript: ProjectTypeScript | undefined;
}

/** The gates each command can run: `check` formats and applies lint fixes to compare; `spec` only formats. */
const GATES_OF: Record<"write" | "check" | "spec", readonly GateName[]> = {
  write: ["format", "lint", "typecheck"],
  check: ["format", "lint"],
  spec: ["format"],
};

/** The names ESLint looks for, from a linted file's folder up (ESLint 10) or from its cwd up (ESLint 9). */
const ESLINT_CONFIG_FILES = [
  "eslint.config.js",
  "eslint.config.mjs",
  "eslint.config.cjs",
  "eslint.config.ts",
  "eslint.config.mts",
  "eslint.config.cts",
];

/**
 * @param overrides settings that replace the config's for this run (`--no-<gate>` gives `false`)
 * @param outputDirs folders the output goes to: where ESLint will look for its config
 */
export function planGates(
  config: ResolvedConfig,
  mode: keyof typeof GATES_OF,
  overrides: Partial<GateSettings>,
  outputDirs: readonly string[],
): GatePlan {
  const gates: Gates = { format: false, lint: false, typecheck: false };
  const skipped: SkippedGate[] = [];
  for (const gate of GATES_OF[mode]) {
    const setting = overrides[gate] ?? config.gates[gate];
    if (setting === false) continue;
    const tool = GATE_TOOLS[gate];
    if (findInProject(config.root, `${tool}/package.json`) === undefined) {
      if (setting === true) throw missingTool(tool, gate);
      skipped.push({
        gate,
        tool,
        reason: "not-installed",
        message: `${gate} gate skipped: ${tool} is not installed in this project (npm i -D ${tool} to enable)`,
      });
      continue;
    }
    if (gate === "lint" && !outputDirs.some(hasEslintConfig)) {
      if (setting === true) {
        throw InputError.at(
          undefined,
          "eslint is installed, but no eslint.config.* applies to the output folders, and the lint gate is required (gates.lint is true).",
          'Add an eslint.config.js to the project root; or set gates.lint to "auto" to skip the gate while there is none, or pass --no-lint.',
          "ERR_NO_ESLINT_CONFIG",
        );
      }
      skipped.push({
        gate,
        tool,
        reason: "not-configured",
        message: "lint gate skipped: eslint is installed but this project has no eslint.config.* (add one to enable)",
      });
      continue;
    }
    gates[gate] = true;
  }
  return { gates, skipped, typescript: gateTypeScript(config.root, gates) };
}

/**
 * The TypeScript of the gates that run: the typecheck gate needs a supported
 * one; the lint gate alone takes the JS API when there is one (for type-aware
 * rules) and does without otherwise.
 */
function gateTypeScript(root: string, gates: Gates): ProjectTypeScript | undefined {
  if (gates.typecheck) return projectTypeScript(root);
  if (!gates.lint) return undefined;
  try {
    return projectTypeScript(root);
  } catch (error) {
    if (error instanceof InputError) return undefined; // a version typecheck could not use: lint runs without a program
    throw error;
  }
}

function hasEslintConfig(outputDir: string): boolean {
  for (let dir = outputDir; ; dir = dirname(dir)) {
    if (ESLINT_CONFIG_FILES.some((name) => existsSync(join(dir, name)))) return true;
    if (dirname(dir) === dir) return false;
  }
}
