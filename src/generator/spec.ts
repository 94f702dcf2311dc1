/**
 * Spec: `wsgen spec`. The AsyncAPI documents of the selected modules go to
 * `<module>/<spec.dir>/<module>_asyncapi.json`, and the merged document to
 * `--out` or the config's `spec.merged`. Built by the same functions the
 * runtime serves, from the same routes ws.ts declares, with the models'
 * zod schemas imported from the project (through tsx, as TypeScript).
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { buildMergedAsyncApi, buildModuleAsyncApi, type AsyncApiVersion, type ModuleSpec, type RouteSpec } from "wsgen/internal";
import { loadConfig } from "./config.js";
import { ExitCode, failureOf, firstLine, InputError, type RunError } from "./errors.js";
import { loadProject, selectModules, type ModelRef, type ModuleDeclarations } from "./load.js";
import { relativeTo } from "./paths.js";
import { writeIfChanged, type FileResult } from "./output.js";

export interface SpecOptions {
  cwd: string;
  config?: string;
  modules?: string[];
  /**
   * Path of the merged document (`--out`).
   * @default the config's spec.merged (none: no merged document)
   */
  out?: string;
  /**
   * `--asyncapi`
   * @default the config's spec.version
   */
  version?: AsyncApiVersion;
}

export interface SpecResult {
  exitCode: ExitCode;
  files: FileResult[];
  /** Present when exitCode is 2 or 3; never of kind "gate" (spec runs no gates). */
  error?: RunError;
}

export async function writeSpecs(options: SpecOptions): Promise<SpecResult> {
  const result: SpecResult = { exitCode: ExitCode.ok, files: [] };
  try {
    const config = await loadConfig(options.cwd, options.config);
    const version = options.version ?? (config.spec.version as AsyncApiVersion);
    const loaded = loadProject(config, selectModules(config, options.modules));
    const specs = await Promise.all(loaded.modules.map((module) => moduleSpec(module)));
    for (const [index, spec] of specs.entries()) {
      const module = loaded.modules[index] as ModuleDeclarations;
      const path = join(config.modulesPath, module.name, config.spec.dir, `${module.name}_asyncapi.json`);
      result.files.push(await writeJson(config.root, path, buildModuleAsyncApi(spec, { version })));
    }
    const merged =
      options.out !== undefined
        ? resolve(options.cwd, options.out)
        : config.spec.merged !== undefined
          ? resolve(config.root, config.spec.merged)
          : undefined;
    if (merged !== undefined) result.files.push(await writeJson(config.root, merged, buildMergedAsyncApi(specs, { version })));
  } catch (error) {
    Object.assign(result, failureOf(error));
  }
  return result;
}

/** The module as the runtime would describe it, with its models' schemas imported from the project. */
async function moduleSpec(module: ModuleDeclarations): Promise<ModuleSpec> {
  const { tsImport } = (await import("tsx/esm/api")) as {
    tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>>;
  };
  // Import specifiers are relative to the output folder, like the generated files that use them.
  const parent = pathToFileURL(join(module.outputDir, "index.ts")).href;
  const schemaOf = async (model: ModelRef): Promise<z.ZodType> => {
    let exports: Record<string, unknown>;
    try {
      exports = await tsImport(model.importPath, parent);
    } catch (error) {
      throw InputError.at(
        model.location,
        `importing ${model.importPath} for ${model.name} failed: ${firstLine(error)}`,
        "The model file must import without throwing; wsgen spec loads it to read the schema.",
        "ERR_MODEL_IMPORT",
      );
    }
    const schema = exports[model.name];
    if (typeof schema !== "object" || schema === null || typeof (schema as { safeParse?: unknown }).safeParse !== "function") {
      throw InputError.at(
        model.location,
        `${model.name} imported from ${model.importPath} is not a zod schema at run time.`,
        "Export the zod schema value under the model's name.",
        "ERR_NO_SCHEMA",
      );
    }
    return schema as z.ZodType;
  };
  const routes: RouteSpec[] = [];
  for (const router of module.routers) {
    routes.push({
      name: router.route,
      description: router.description,
      requestName: router.request.modelName,
      requestSchema: await schemaOf(router.request),
      dataName: router.data.modelName,
      dataSchema: await schemaOf(router.data),
    });
  }
  return { name: module.name, routes };
}

function writeJson(root: string, path: string, document: unknown): Promise<FileResult> {
  return writeIfChanged(path, relativeTo(root, path), `${JSON.stringify(document, null, 2)}\n`);
}
