/**
 * Codegen: the generate pipeline, start to end:
 *   config → [cache: nothing changed, done] → load (ts-morph discovery)
 *   → render (handlebars) → format gate
 *   → [check: compare with disk] | [lint gate → typecheck gate → write]
 * `--check` is the other end of this one pipe; `--watch` (watcher.ts) reruns it.
 */
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig, type Gates, type ResolvedConfig } from "./config.js";
import { ExitCode, failureOf, type Problem, type RunError } from "./errors.js";
import { createGateProgram, runFormatGate, runLintGate, runTypecheckGate } from "./gates.js";
import { loadProject, selectModules, type LoadedProject } from "./load.js";
import { acquireWriteLock } from "./lock.js";
import { cacheEnabled, cacheKey, readUpToDateRecord, saveCache } from "./cache.js";
import { compareWithDisk, writeToDisk, type FileResult, type OutputDirectory } from "./output.js";
import { renderClient, renderModule, type RenderedFile } from "./render.js";

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
   * Gates, switched off by `--no-<gate>`.
   * @default the config's `gates` (each on unless the config says otherwise)
   */
  format?: boolean;
  lint?: boolean;
  typecheck?: boolean;
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
  /** Files the run read (ws.ts and everything it imports, the config): what `--watch` watches. */
  inputs: string[];
}

/** Runs the pipeline. Never throws: failures become the result's exit code and error. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const mode = options.check === true ? "check" : "write";
  const result: GenerateResult = { mode, exitCode: ExitCode.ok, modules: [], timings: {}, warnings: [], inputs: [] };
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
    const selected = selectModules(config, options.modules);
    // Known before loading, so --watch sees them even when this run fails to load them.
    result.inputs.push(...selected.map((name) => join(config.modulesPath, name, "ws.ts")));
    // The client covers every module, so it is rendered only when every module is.
    const withClient = config.clientPath !== undefined && (options.modules === undefined || options.modules.length === 0);
    const gates: Gates = {
      format: options.format ?? config.gates.format,
      lint: options.lint ?? config.gates.lint,
      typecheck: options.typecheck ?? config.gates.typecheck,
    };
    const key = cacheKey(config, selected, withClient);
    const cached = cacheEnabled() ? readUpToDateRecord(config, key) : undefined;
    // Nothing read or written has changed since a run that passed at least these gates: nothing can differ.
    if (
      cached !== undefined &&
      (mode === "check"
        ? // check renders with the format gate as configured: the recorded output must have been formatted the same way
          cached.gates.format === gates.format
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
    const loaded = loadProject(config, selected);
    result.inputs = [config.configPath, ...projectInputs(loaded)];
    stage("load");
    let files = loaded.modules.flatMap((module) => renderModule(config, module));
    if (withClient) files.push(renderClient(config, loaded.modules, config.clientPath as string));
    stage("render");
    if (gates.format) {
      files = await runFormatGate(config.root, files);
      stage("format");
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
      await runWriteGates(gates, config, files, result, stage);
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

async function runWriteGates(
  { lint, typecheck }: Gates,
  config: ResolvedConfig,
  files: RenderedFile[],
  result: GenerateResult,
  stage: (name: Stage) => void,
): Promise<void> {
  if (!lint && !typecheck) return;
  const gate = createGateProgram(config.root, config.tsconfigPath, files);
  if (lint) {
    result.warnings.push(...(await runLintGate(config.root, files, gate)).warnings);
    stage("lint");
  }
  if (typecheck) {
    runTypecheckGate(gate, files);
    stage("typecheck");
  }
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
