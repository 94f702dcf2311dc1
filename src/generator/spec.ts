/**
 * Spec: `wsgen spec`. The AsyncAPI documents of the selected modules go to
 * `<module>/<spec.dir>/<module>_asyncapi.json`, and the merged document to
 * `--out` or the config's `spec.merged`. Built by the same functions the
 * runtime serves, from the same routes ws.ts declares, with the models'
 * zod schemas imported from the project (through tsx, as TypeScript).
 * Under the format gate's setting, the project's prettier formats each
 * document with the config it resolves for the document's path, unless the
 * project's .prettierignore names it; without prettier, the documents are
 * JSON.stringify's, two spaces.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import {
  buildMergedAsyncApi,
  buildModuleAsyncApi,
  deliveryPolicyOf,
  historyLimits,
  lagPolicyOf,
  lingerOf,
  type AsyncApiVersion,
  type ModuleSpec,
  type RouteSpec,
} from "wsgen/internal";
import { loadConfig } from "./config.js";
import { ExitCode, failureOf, firstLine, InputError, type RunError } from "./errors.js";
import type { Prettier } from "./format-gate.js";
import { planGates, type SkippedGate } from "./gate-plan.js";
import { loadProject, selectModules, type ModelRef, type ModuleDeclarations } from "./load.js";
import { relativeTo } from "./paths.js";
import { writeIfChanged, type FileResult } from "./output.js";
import { importFromProject } from "./tools.js";
import { checkProjectZod } from "./peers.js";

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
  /** Present when exitCode is 2 or 3; never of kind "gate" (prettier failing on a document is bad input). */
  error?: RunError;
  /** The format gate, when set to "auto" and prettier is missing. */
  skipped: SkippedGate[];
}

/** The text of a document, formatted or not. */
type DocumentFormatter = (path: string, document: unknown) => Promise<string>;

export async function writeSpecs(options: SpecOptions): Promise<SpecResult> {
  const result: SpecResult = { exitCode: ExitCode.ok, files: [], skipped: [] };
  try {
    const config = await loadConfig(options.cwd, options.config);
    checkProjectZod(config.root);
    const plan = planGates(config, "spec", {}, []);
    result.skipped = plan.skipped;
    const format = plan.gates.format ? await loadDocumentFormatter(config.root) : plainJson;
    const version = options.version ?? (config.spec.version as AsyncApiVersion);
    const loaded = loadProject(config, selectModules(config, options.modules));
    const specs = await Promise.all(loaded.modules.map((module) => moduleSpec(module)));
    for (const [index, spec] of specs.entries()) {
      const module = loaded.modules[index] as ModuleDeclarations;
      const path = join(config.modulesPath, module.name, config.spec.dir, `${module.name}_asyncapi.json`);
      result.files.push(await writeDocument(config.root, path, await format(path, buildModuleAsyncApi(spec, { version }))));
    }
    const merged =
      options.out !== undefined
        ? resolve(options.cwd, options.out)
        : config.spec.merged !== undefined
          ? resolve(config.root, config.spec.merged)
          : undefined;
    if (merged !== undefined) {
      result.files.push(await writeDocument(config.root, merged, await format(merged, buildMergedAsyncApi(specs, { version }))));
    }
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
      // The policy ws.ts declares (the generated class's defaults), as an app that passes no delivery option serves it.
      deliveryPolicy: deliveryPolicyOf(historyLimits(router.options), {
        lingerMs: lingerOf(router.options),
        lagPolicy: lagPolicyOf(router.options),
      }),
    });
  }
  return { name: module.name, routes };
}

function writeDocument(root: string, path: string, text: string): Promise<FileResult> {
  return writeIfChanged(path, relativeTo(root, path), text);
}

const plainJson: DocumentFormatter = (_path, document) => Promise.resolve(`${JSON.stringify(document, null, 2)}\n`);

/** The project's prettier on JSON.stringify's text, for documents its .prettierignore does not name. */
async function loadDocumentFormatter(root: string): Promise<DocumentFormatter> {
  const prettier = await importFromProject<Prettier>(root, "prettier", "format");
  await prettier.clearConfigCache();
  const ignorePath = join(root, ".prettierignore");
  return async (path, document) => {
    const text = await plainJson(path, document);
    try {
      if ((await prettier.getFileInfo(path, { ignorePath })).ignored) return text;
      const options = (await prettier.resolveConfig(path, { editorconfig: true })) ?? {};
      return await prettier.format(text, { ...options, filepath: path });
    } catch (error) {
      throw InputError.at(
        { file: relativeTo(root, path), line: 1, column: 1 },
        `prettier could not format the document: ${firstLine(error)}`,
        "Check the project's prettier config, or set gates.format to false.",
        "prettier",
      );
    }
  };
}
