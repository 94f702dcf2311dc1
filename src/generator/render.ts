/**
 * Rendering: fill the handlebars templates in `templates/` with the
 * discovered routers. Output is a function of the declarations alone — no
 * timestamps, versions or machine paths — so it is byte-identical across
 * runs and machines once formatted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import type { ResolvedConfig } from "./config.js";
import { relativeTo, type ModuleDeclarations, type RouterDeclaration } from "./load.js";

export interface RenderedFile {
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
  const compile = (name: string) => handlebars.compile(read(name), { noEscape: true, strict: true });
  templates = { router: compile("router"), barrel: compile("barrel") };
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

/** Template data for one router, with local names that cannot clash with the class or wsgen's imports. */
function routerContext(router: RouterDeclaration, source: string) {
  const taken = new Set([router.name, "WsRoute", "WsRouterOptions"]);
  const imports = new Map<string, Map<string, string>>(); // path → exported name → local name
  const localFor = (model: RouterDeclaration["request"], role: string): string => {
    const byName = imports.get(model.importPath) ?? new Map<string, string>();
    imports.set(model.importPath, byName);
    const existing = byName.get(model.name);
    if (existing !== undefined) return existing;
    let local = model.name;
    if (taken.has(local)) local = `${model.name}${role}`;
    while (taken.has(local)) local = `${local}_`;
    taken.add(local);
    byName.set(model.name, local);
    return local;
  };
  const requestLocal = localFor(router.request, "Request");
  const dataLocal = localFor(router.data, "Data");
  return {
    source,
    name: router.name,
    route: router.route,
    description: router.description,
    request: router.request,
    data: router.data,
    requestLocal,
    dataLocal,
    imports: [...imports]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, names]) => ({
        path,
        specifiers: [...names].map(([exported, local]) => (exported === local ? exported : `${exported} as ${local}`)).join(", "),
      })),
  };
}
