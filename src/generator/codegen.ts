/**
 * Codegen: the generate pipeline, start to end:
 *   config → gate plan → [cache: nothing changed, done] → load (ts-morph
 *   discovery) → render (handlebars) → format gate → lint gate (fixes applied)
 *   → [check: compare with disk] | [judge lint → typecheck gate → write]
 * `--check` is the other end of this one pipe, so it compares exactly the text
 * generate would write; `--watch` (watcher.ts) reruns it.
 */
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig, type GateSetting } from "./config.js";
import { ExitCode, failureOf, GateError, type Problem, type RunError } from "./errors.js";
import { loadFormatter } from "./format-gate.js";
import { planGates, type SkippedGate } from "./gate-plan.js";
import { createGateProgram, type GateProgram } from "./gate-program.js";
import { runLintGate } from "./lint-gate.js";
import { loadProject, selectModules, type LoadedProject } from "./load.js";
import { acquireWriteLock } from "./lock.js";
import { cacheEnabled, cacheKey, readUpToDateRecord, saveCache } from "./cache.js";
import { compareWithDisk, writeToDisk, type FileResult, type OutputDirectory } from "./output.js";
import { renderClient, renderModule } from "./render.js";
import { runTypecheckGate } from "./typecheck-gate.js";
import { checkProjectZod } from "./peers.js";

export interface GenerateOptions {
  cwd: string;
  /**
   * `--config`
   * @default the first of CONFIG_FILES found in `cwd`
   */
  config?: string;
  /**
   * `--modules a,b`
   * @default every module with a ws.ts
   */
  modules?: string[];
  /**
   * Compare with disk instead of writing.
   * @default false
   */
  check?: boolean;
  /**
   * Gate settings for this run, in place of the config's (`--no-<gate>` gives `false`).
   * @default the config's `gates`
   */
  format?: GateSetting;
  lint?: GateSetting;
  typecheck?: GateSetting;
  /** Called as each stage finishes, for progress output. */
  onStage?: (stage: Stage, milliseconds: number) => void;
}

export type Stage = "config" | "cache" | "load" | "render" | "format" | "lint" | "typecheck" | "compare" | "write";

export interface ModuleResult {
  name: string;
  files: FileResult[];
}

export interface GenerateResult {
  mode: "write" | "check";
  exitCode: ExitCode;
  modules: ModuleResult[];
  /** Milliseconds per stage that ran, and in total. */
  timings: Partial<Record<Stage | "total", number>>;
  /** Present when exitCode is 2 or 3. */
  error?: RunError;
  /** Lint warnings: printed, not fatal. */
  warnings: Problem[];
  /** Gates set to "auto" that did not run, their tool missing or unconfigured: one notice each. */
  skipped: SkippedGate[];
  /** Files the run read (ws.ts and everything it imports, the config): what `--watch` watches. */
  inputs: string[];
}

/** Runs the pipeline. Never throws: failures become the result's exit code and error. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const mode = options.check === true ? "check" : "write";
  const result: GenerateResult = { mode, exitCode: ExitCode.ok, modules: [], timings: {}, warnings: [], skipped: [], inputs: [] };
  const started = performance.now();
  let stageStart = started;
  const stage = (name: Stage): void => {
    const now = performance.now();
    result.timings[name] = Math.round(now - stageStart);
    options.onStage?.(name, now - stageStart);
    stageStart = now;
  };
  try {
    const config = await loadConfig(options.cwd, options.config);
    result.inputs.push(config.configPath);
    stage("config");
    // Before the cache: a project whose zod changed (a lockfile, a hoisting) must not be answered "unchanged".
    checkProjectZod(config.root);
    const selected = selectModules(config, options.modules);
    // Known before loading, so --watch sees them even when this run fails to load them.
    result.inputs.push(...selected.map((name) => join(config.modulesPath, name, "ws.ts")));
    // The client covers every module, so it is rendered only when every module is.
    const withClient = config.clientPath !== undefined && (options.modules === undefined || options.modules.length === 0);
    const outputDirs = selected.map((name) => join(config.modulesPath, name, config.outputDir));
    if (withClient) outputDirs.push(dirname(config.clientPath as string));
    const plan = planGates(config, mode, { format: options.format, lint: options.lint, typecheck: options.typecheck }, outputDirs);
    const { gates } = plan;
    result.skipped = plan.skipped;
    const key = cacheKey(config, selected, withClient);
    const cached = cacheEnabled() ? readUpToDateRecord(config, key) : undefined;
    // Nothing read or written has changed since a run that passed at least these gates: nothing can differ.
    if (
      cached !== undefined &&
      (mode === "check"
        ? // check renders with the format and lint gates as planned: the recorded output must have been made the same way
          cached.gates.format === gates.format && cached.gates.lint === gates.lint
        : (["format", "lint", "typecheck"] as const).every((gate) => !gates[gate] || cached.gates[gate]))
    ) {
      result.inputs = Object.keys(cached.inputs).filter((path) => !path.includes("/node_modules/"));
      result.modules = cached.modules.map((module) => ({
        name: module.name,
        files: module.files.map((path) => ({ path, status: "unchanged" as const })),
      }));
      stage("cache");
      result.timings.total = Math.round(performance.now() - started);
      return result;
    }
    // The project's TypeScript is required now, before anything is loaded, so that an API it lacks is refused up front.
    const ts = plan.typescript?.kind === "api" && (gates.lint || gates.typecheck) ? plan.typescript.load() : undefined;
    const loaded = loadProject(config, selected);
    result.inputs = [config.configPath, ...projectInputs(loaded)];
    stage("load");
    let files = loaded.modules.flatMap((module) => renderModule(config, module));
    if (withClient) files.push(renderClient(config, loaded.modules, config.clientPath as string));
    stage("render");
    const format = gates.format ? await loadFormatter(config.root) : undefined;
    if (format !== undefined) {
      files = await format(files);
      stage("format");
    }
    const roots = loaded.modules.map((module) => module.wsFile);
    let program: GateProgram | undefined =
      ts !== undefined ? createGateProgram(ts, config.root, config.tsconfigPath, files, roots) : undefined;
    if (gates.lint) {
      const lint = await runLintGate({ root: config.root, files, program, format, typescript: plan.typescript });
      ({ files, program } = lint);
      // check compares the fixed text with disk; judging it is generate's part.
      if (mode === "write") {
        if (lint.errors.length > 0) throw new GateError("lint", lint.errors, lint.hints);
        result.warnings.push(...lint.warnings);
      }
      stage("lint");
    }
    const directories: OutputDirectory[] = loaded.modules.map((module) => ({
      module: module.name,
      dir: module.outputDir,
      files: files.filter((file) => file.module === module.name),
      owned: true,
    }));
    if (withClient)
      directories.push({
        module: "(client)",
        dir: dirname(config.clientPath as string),
        files: files.filter((file) => file.module === ""),
        owned: false,
      });
    if (mode === "check") {
      result.modules = directories.map((directory) => ({ name: directory.module, files: compareWithDisk(config.root, directory) }));
      stage("compare");
      const drift = result.modules.some((module) => module.files.some((file) => file.status !== "unchanged"));
      result.exitCode = drift ? ExitCode.drift : ExitCode.ok;
    } else {
      if (gates.typecheck && plan.typescript !== undefined) {
        const { root, tsconfigPath } = config;
        await runTypecheckGate({ root, tsconfigPath, files, roots, typescript: plan.typescript, program: program?.update(files) });
        stage("typecheck");
      }
      // Serialized with other runs on this project, so no folder mixes two runs' files.
      const lock = await acquireWriteLock(config.root);
      try {
        for (const directory of directories)
          result.modules.push({ name: directory.module, files: await writeToDisk(config.root, directory) });
      } finally {
        lock.release();
      }
      if (cacheEnabled()) {
        const owned = directories.filter((directory) => directory.owned).map((directory) => directory.dir);
        const modules = directories.map((directory) => ({
          name: directory.module,
          files: directory.files.map((file) => file.relativePath),
        }));
        await saveCache(
          config,
          key,
          gates,
          result.inputs,
          files.map((file) => file.path),
          owned,
          modules,
        );
      }
      stage("write");
    }
  } catch (error) {
    const failure = failureOf(error);
    result.exitCode = failure.exitCode;
    result.modules = [];
    result.error = failure.error;
  }
  result.timings.total = Math.round(performance.now() - started);
  return result;
}

/** The project's own source files the run read (not packages, not generated output). */
function projectInputs(loaded: LoadedProject): string[] {
  const outputs = loaded.modules.map((module) => `${module.outputDir}/`);
  return loaded.project
    .getSourceFiles()
    .filter((file) => !file.isInNodeModules() && !file.isDeclarationFile())
    .map((file) => file.getFilePath() as string)
    .filter((path) => !outputs.some((output) => path.startsWith(output)));
}
