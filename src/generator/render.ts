/**
 * Rendering: fill the handlebars templates in `templates/` with the
 * discovered routers. Output is a function of the declarations alone — no
 * timestamps, versions or machine paths — so it is byte-identical across
 * runs and machines once formatted.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import type { ResolvedConfig } from "./config.js";
import type { ModelRef, ModuleDeclarations, RouterDeclaration } from "./load.js";
import { compareStrings, RESERVED_MODULE_NAMES } from "wsgen/internal";
import { declaredInOrder } from "./delivery-tags.js";
import { InputError } from "./errors.js";
import { importSpecifier, relativeTo } from "./paths.js";

export interface RenderedFile {
  /** The module whose output folder holds the file; "" for project-level files (the client). */
  module: string;
  /** Absolute path. */
  path: string;
  /** Path relative to the project root, with forward slashes. */
  relativePath: string;
  content: string;
}

const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

interface Templates {
  router: Handlebars.TemplateDelegate;
  barrel: Handlebars.TemplateDelegate;
  client: Handlebars.TemplateDelegate;
}
let templates: Templates | undefined;

function loadTemplates(): Templates {
  if (templates !== undefined) return templates;
  const handlebars = Handlebars.create();
  const read = (name: string): string => readFileSync(join(TEMPLATES_DIR, `${name}.hbs`), "utf8");
  handlebars.registerPartial("header", read("header"));
  // Text placed inside a /** */ comment must not close it.
  handlebars.registerHelper("jsdoc", (text: string) => text.replace(/\*\//g, "*\\/").replace(/\n/g, "\n * "));
  handlebars.registerHelper("json", (value: unknown) => JSON.stringify(value));
  // A property access in example code: `.broker`, or `["market-data"]` for names that are not identifiers.
  handlebars.registerHelper("member", (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`));
  const compile = (name: string) => handlebars.compile(read(name), { noEscape: true, strict: true });
  templates = { router: compile("router"), barrel: compile("barrel"), client: compile("client") };
  return templates;
}

/** Every file of a module's output folder, routers first, the barrel last. */
export function renderModule(config: ResolvedConfig, module: ModuleDeclarations): RenderedFile[] {
  const { router, barrel } = loadTemplates();
  const source = relativeTo(config.root, module.wsFile);
  const file = (fileName: string, content: string): RenderedFile => {
    const path = join(module.outputDir, fileName);
    return { module: module.name, path, relativePath: relativeTo(config.root, path), content };
  };
  const files = module.routers.map((declaration) => file(declaration.fileName, router(routerContext(declaration, source))));
  const routers = module.routers.map((declaration) => ({ name: declaration.name, stem: declaration.fileName.replace(/\.ts$/, "") }));
  files.push(file("index.ts", barrel({ source, routers })));
  return files;
}

/**
 * The named imports of one generated file: each model imported once, under a
 * local name that clashes with nothing else in the file.
 */
class ImportTable {
  readonly #taken: Set<string>;
  readonly #byPath = new Map<string, Map<string, string>>(); // path → exported name → local name
  /** `path\0exported` of names imported for their type only. */
  readonly #typeOnly = new Set<string>();

  constructor(reserved: readonly string[]) {
    this.#taken = new Set(reserved);
  }

  /** The local name of the value `exported` from `path` (which also brings a type of that name); `role` disambiguates a clash. */
  local(path: string, exported: string, role: string): string {
    this.#typeOnly.delete(`${path}\0${exported}`);
    return this.#name(path, exported, role);
  }

  /** The local name of the type `exported` from `path`, imported as `type` unless its value is imported too. */
  typeLocal(path: string, exported: string, role: string): string {
    const byName = this.#byPath.get(path);
    if (byName?.has(exported) !== true) this.#typeOnly.add(`${path}\0${exported}`);
    return this.#name(path, exported, role);
  }

  #name(path: string, exported: string, role: string): string {
    const byName = this.#byPath.get(path) ?? new Map<string, string>();
    this.#byPath.set(path, byName);
    const existing = byName.get(exported);
    if (existing !== undefined) return existing;
    let local = exported;
    if (this.#taken.has(local)) local = `${exported}${role}`;
    while (this.#taken.has(local)) local = `${local}_`;
    this.#taken.add(local);
    byName.set(exported, local);
    return local;
  }

  /** Import lines' data, sorted by path. */
  lines(): { path: string; specifiers: string }[] {
    return [...this.#byPath]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([path, names]) => ({
        path,
        specifiers: [...names]
          .map(([exported, local]) => {
            const specifier = exported === local ? exported : `${exported} as ${local}`;
            return this.#typeOnly.has(`${path}\0${exported}`) ? `type ${specifier}` : specifier;
          })
          .join(", "),
      }));
  }
}

/** Template data for one router. */
function routerContext(router: RouterDeclaration, source: string) {
  const imports = new ImportTable([router.name, "WsRoute", "RouteOptions"]);
  const requestLocal = imports.local(router.request.importPath, router.request.name, "Request");
  const dataLocal = imports.local(router.data.importPath, router.data.name, "Data");
  // The model types: the schemas' own names, or the type beside a `FooSchema`.
  const requestType = imports.typeLocal(router.request.importPath, router.request.typeName, "Request");
  const dataType = imports.typeLocal(router.data.importPath, router.data.typeName, "Data");
  return {
    source,
    name: router.name,
    route: router.route,
    description: router.description,
    // The class's defaults, as literals.
    declared: declaredInOrder(router.options).map(([name, value]) => ({ name, literal: JSON.stringify(value) })),
    request: router.request,
    data: router.data,
    requestLocal,
    dataLocal,
    requestType,
    dataType,
    imports: imports.lines(),
  };
}

/** The typed client bindings of every module, in one file. */
export function renderClient(config: ResolvedConfig, modules: readonly ModuleDeclarations[], path: string): RenderedFile {
  const reserved: readonly string[] = RESERVED_MODULE_NAMES;
  const hiding = modules.filter((module) => reserved.includes(module.name));
  if (hiding.length > 0) {
    // createClient refuses them at run time; the generator says so before writing a client that cannot start.
    throw new InputError(
      hiding.map((module) => ({
        location: { file: relativeTo(config.root, module.wsFile), line: 1, column: 1 },
        message: `module "${module.name}" would hide the typed client's own member ${module.name}() in ${relativeTo(config.root, path)}.`,
        hint: `Rename the module folder: ${RESERVED_MODULE_NAMES.join(", ")} are the typed client's members.`,
        code: "ERR_MODULE_NAME",
      })),
    );
  }
  const { client } = loadTemplates();
  const imports = new ImportTable(["createClient", "ClientOptions", "TypedClient", "wsContract", "WsContract", "createWsClient"]);
  const specifier = (model: ModelRef): string => (model.file !== undefined ? importSpecifier(dirname(path), model.file) : model.importPath);
  const sorted = [...modules].sort((a, b) => compareStrings(a.name, b.name));
  const context = {
    source: `${relativeTo(config.root, config.modulesPath)}/*/ws.ts`,
    modules: sorted.map((module) => ({
      name: module.name,
      routes: [...module.routers]
        .sort((a, b) => compareStrings(a.route, b.route))
        .map((router) => ({
          route: router.route,
          requestLocal: imports.local(specifier(router.request), router.request.name, "Request"),
          dataLocal: imports.local(specifier(router.data), router.data.name, "Data"),
        })),
    })),
    imports: [] as { path: string; specifiers: string }[],
    firstModule: sorted[0]?.name ?? "module",
    firstRoute: sorted[0]?.routers[0]?.route ?? "route",
  };
  context.imports = imports.lines();
  return { module: "", path, relativePath: relativeTo(config.root, path), content: client(context) };
}
