/**
 * Discovery: read each module's `ws.ts` with ts-morph and find every type
 * alias of the form `WsRouter<A, B>` (exported or not, however WsRouter was
 * imported or renamed). Resolve `A` and `B` through imports, renames and
 * re-exports to the zod schema value of the same name, and compute the
 * import path the generated file needs. Every problem is an InputError
 * naming file:line:col.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Node as MorphNode, Project, SourceFile, Symbol as MorphSymbol, TypeAliasDeclaration } from "ts-morph";
import type { ResolvedConfig } from "./config.js";
import { checkModuleNames } from "./config.js";
import { readDeliveryTags, type DeclaredOptions } from "./delivery-tags.js";
import { collectProblems, InputError, type Problem, type SourceLocation } from "./errors.js";
import { compareStrings, isRouteName } from "wsgen/internal";
import { defaultRouteName, toKebabCase } from "./names.js";
import { importSpecifier, packageNameOf, relativeTo } from "./paths.js";
import { loadTsMorph } from "./tools.js";

export interface ModelRef {
  /** The exported name of the schema value: the identifier generated code imports. */
  name: string;
  /** The model's name in documents: `name`, or the type's name when the schema follows the `FooSchema` convention. */
  modelName: string;
  /** The exported name of the model's type, imported from the same file: `name` unless the schema is `FooSchema`. */
  typeName: string;
  /** Module specifier from the module's output folder: `../../../models/broker.js`, or a package name. */
  importPath: string;
  /** Absolute path of the declaring file, for specifiers from other folders; undefined for package models. */
  file: string | undefined;
  location: SourceLocation;
}

export interface RouterDeclaration {
  /** The alias name, and the generated class name. */
  name: string;
  /** The route name: `@route` tag of the alias, else the name without its `WsRouter` suffix, lower-camel. */
  route: string;
  /** `<kebab-name>.ts` */
  fileName: string;
  /** The JSDoc text before the tags. */
  description: string | undefined;
  /** The delivery options its tags declare (`@latestValue`, `@lagPolicy conflate`): the generated class's defaults. */
  options: DeclaredOptions;
  request: ModelRef;
  data: ModelRef;
  location: SourceLocation;
}

export interface ModuleDeclarations {
  name: string;
  /** Absolute path of the module's `ws.ts`. */
  wsFile: string;
  /** Absolute path of its output folder (`ws_generated/`). */
  outputDir: string;
  routers: RouterDeclaration[];
}

export interface LoadedProject {
  config: ResolvedConfig;
  project: Project;
  modules: ModuleDeclarations[];
}

/** Module names to generate: the requested ones (checked), or every folder of modulesDir with a ws.ts. */
export function selectModules(config: ResolvedConfig, requested: readonly string[] | undefined): string[] {
  if (requested !== undefined && requested.length > 0) {
    checkModuleNames(requested);
    const missing = requested.filter((name) => !existsSync(join(config.modulesPath, name, "ws.ts")));
    if (missing.length > 0) {
      const existing = moduleFolders(config);
      throw InputError.at(
        undefined,
        `No ws.ts for module${missing.length > 1 ? "s" : ""} ${missing.join(", ")} in ${relativeTo(config.root, config.modulesPath)}/.`,
        `${existing.length > 0 ? `Modules here: ${existing.join(", ")}. ` : "No module has a ws.ts yet. "}Create ${relativeTo(config.root, join(config.modulesPath, missing[0] as string, "ws.ts"))}, or check --modules.`,
        "ERR_NO_MODULE",
      );
    }
    const unique = [...new Set(requested)];
    for (const name of unique) checkWsFile(config, name);
    return unique;
  }
  const names = moduleFolders(config);
  checkModuleNames(names);
  for (const name of names) checkWsFile(config, name);
  return names;
}

/** The folders of modulesDir that hold a ws.ts, sorted. Real folders only: a symlinked module could lead outside modulesDir. */
function moduleFolders(config: ResolvedConfig): string[] {
  return readdirSync(config.modulesPath, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(config.modulesPath, entry.name, "ws.ts")))
    .map((entry) => entry.name)
    .sort(compareStrings);
}

function checkWsFile(config: ResolvedConfig, name: string): void {
  const path = join(config.modulesPath, name, "ws.ts");
  if (!statSync(path).isFile()) {
    throw InputError.at(
      undefined,
      `${relativeTo(config.root, path)} is not a file.`,
      "ws.ts must be a TypeScript file declaring WsRouter aliases.",
      "ERR_NO_MODULE",
    );
  }
}

/** Creates the ts-morph project from the user's tsconfig, with just the ws.ts files and what they import. */
export function loadProject(config: ResolvedConfig, moduleNames: readonly string[]): LoadedProject {
  const { Project } = loadTsMorph();
  let project: Project;
  try {
    project = new Project({ tsConfigFilePath: config.tsconfigPath, skipAddingFilesFromTsConfig: true });
  } catch (error) {
    throw InputError.at(
      { file: relativeTo(config.root, config.tsconfigPath), line: 1, column: 1 },
      `tsconfig could not be read: ${(error as Error).message}`,
      "Fix the tsconfig.",
      "ERR_TSCONFIG",
    );
  }
  const files = moduleNames.map((name) => project.addSourceFileAtPath(join(config.modulesPath, name, "ws.ts")));
  project.resolveSourceFileDependencies();
  const problems: Problem[] = [];
  const modules: ModuleDeclarations[] = [];
  files.forEach((file, index) => {
    const name = moduleNames[index] as string;
    const outputDir = join(config.modulesPath, name, config.outputDir);
    const routers = collectProblems(problems, () => discoverRouters(config, file, outputDir));
    if (routers !== undefined) modules.push({ name, wsFile: file.getFilePath(), outputDir, routers });
  });
  if (problems.length > 0) throw new InputError(problems);
  return { config, project, modules };
}

function discoverRouters(config: ResolvedConfig, file: SourceFile, outputDir: string): RouterDeclaration[] {
  const syntax = file.getProject().getProgram().compilerObject.getSyntacticDiagnostics(file.compilerNode);
  if (syntax.length > 0) {
    throw new InputError(
      syntax.map((diagnostic) => ({
        location: locationAtPos(config, file, diagnostic.start ?? 0),
        message: `ws.ts does not parse: ${loadTsMorph().ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`,
        hint: "Fix the syntax error; ws.ts must be valid TypeScript.",
        code: `TS${diagnostic.code}`,
      })),
    );
  }
  // TypeScript parses any expression as a module specifier (`from ~"wsgen"`) and says so only when type-checking.
  const { ts } = loadTsMorph();
  const unquoted = file.getImportDeclarations().find((declaration) => !ts.isStringLiteral(declaration.compilerNode.moduleSpecifier));
  if (unquoted !== undefined) {
    throw InputError.at(
      locationOf(config, unquoted),
      `ws.ts does not parse: an import's module is not a string literal (${unquoted.compilerNode.moduleSpecifier.getText()}).`,
      'Write the module as a string: import type { Model } from "package".',
      "TS1141",
    );
  }
  // With a module resolution that ignores package.json `exports` (node10), `wsgen` does not resolve, and
  // every WsRouter alias would look like something else: say why instead.
  const unresolved = file
    .getImportDeclarations()
    .find((declaration) => declaration.getModuleSpecifierValue() === "wsgen" && declaration.getModuleSpecifierSourceFile() === undefined);
  if (unresolved !== undefined) {
    throw InputError.at(
      locationOf(config, unresolved),
      'ws.ts imports "wsgen", but TypeScript cannot resolve it under this tsconfig.',
      'install the runtime beside the CLI (npm install wsgen), and check the tsconfig\'s "paths" and "types" do not hide it.',
      "ERR_UNRESOLVED",
    );
  }
  const problems: Problem[] = [];
  const routers: RouterDeclaration[] = [];
  for (const alias of file.getTypeAliases()) {
    const router = collectProblems(problems, () => readRouterAlias(config, alias, outputDir));
    if (router !== undefined) routers.push(router);
  }
  problems.push(...collisions(routers));
  if (problems.length > 0) throw new InputError(problems);
  if (routers.length === 0) {
    throw InputError.at(
      locationAtPos(config, file, 0),
      "ws.ts declares no WsRouter alias.",
      'Add one, e.g. `export type OrderWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;` with `import type { WsRouter } from "wsgen";`.',
      "ERR_NO_ROUTERS",
    );
  }
  return routers.sort((a, b) => compareStrings(a.name, b.name));
}

/** Returns the router an alias declares, or undefined when the alias is not a WsRouter. */
function readRouterAlias(config: ResolvedConfig, alias: TypeAliasDeclaration, outputDir: string): RouterDeclaration | undefined {
  const { Node } = loadTsMorph();
  const typeNode = alias.getTypeNode();
  if (typeNode === undefined || !Node.isTypeReference(typeNode)) return undefined;
  const typeName = typeNode.getTypeName();
  const symbol = resolveAlias(typeName.getSymbol());
  const location = locationOf(config, alias);
  if (symbol === undefined) {
    if (/WsRouter$/.test(typeName.getText())) {
      throw InputError.at(
        location,
        `${typeName.getText()} does not resolve to a type.`,
        'Import it: `import type { WsRouter } from "wsgen";` and check that wsgen is installed.',
        "ERR_UNRESOLVED",
      );
    }
    return undefined;
  }
  if (!isWsRouterMarker(symbol)) return undefined;

  const name = alias.getName();
  const args = typeNode.getTypeArguments();
  if (args.length !== 2) {
    throw InputError.at(
      location,
      `${name}: WsRouter takes two type arguments, the request model and the data model.`,
      `Write \`WsRouter<RequestModel, DataModel>\`.`,
      "ERR_ROUTER_ARGS",
    );
  }
  const docs = alias.getJsDocs();
  const tags = docs.flatMap((doc) => doc.getTags());
  const routeTag = tags.find((tag) => tag.getTagName() === "route");
  const route = routeTag !== undefined ? (routeTag.getCommentText() ?? "").trim() : defaultRouteName(name);
  if (!isRouteName(route)) {
    throw InputError.at(
      routeTag !== undefined ? locationOf(config, routeTag) : location,
      `${name}: route name ${JSON.stringify(route)} is invalid.`,
      "Route names start with a letter, then letters, digits, _ or -. Set one with a `/** @route orders */` tag on the alias.",
      "ERR_ROUTE_NAME",
    );
  }
  const options = readDeliveryTags(tags, name, (node) => locationOf(config, node));
  // The text before the first tag: no tag, delivery or other, is part of it.
  const description = docs
    .map((doc) => doc.getDescription().trim())
    .filter((text) => text.length > 0)
    .join("\n");
  return {
    name,
    route,
    fileName: `${toKebabCase(name)}.ts`,
    description: description.length > 0 ? description : undefined,
    options,
    request: resolveModel(config, args[0] as MorphNode, outputDir, name, "request"),
    data: resolveModel(config, args[1] as MorphNode, outputDir, name, "data"),
    location,
  };
}

/**
 * Follows a type argument to its exported zod schema: the value of the same
 * name (`Foo`), or else `FooSchema` beside the type, zod's common convention.
 */
function resolveModel(config: ResolvedConfig, arg: MorphNode, outputDir: string, routerName: string, role: "request" | "data"): ModelRef {
  const { Node } = loadTsMorph();
  const location = locationOf(config, arg);
  const hint = "A model is `export const X = z.object({...})` beside `export type X = z.infer<typeof X>` (or the schema named `XSchema`).";
  if (!Node.isTypeReference(arg)) {
    throw InputError.at(location, `${routerName}: the ${role} type \`${arg.getText()}\` is not a model name.`, hint, "ERR_MODEL");
  }
  const typeName = arg.getTypeName();
  const symbol = resolveAlias(typeName.getSymbol());
  if (symbol === undefined || symbol.getDeclarations().length === 0) {
    throw InputError.at(
      location,
      `${routerName}: the ${role} type \`${typeName.getText()}\` does not resolve.`,
      `Import it into ws.ts. ${hint}`,
      "ERR_UNRESOLVED",
    );
  }
  const typeDeclaration = symbol.getDeclarations()[0];
  const typeFile = typeDeclaration?.getSourceFile();
  let value = symbol.getValueDeclaration();
  /** Set when the `FooSchema` convention found the schema: how the type's file exports it, and the model's name. */
  let convention: { schemaExport: string | undefined; modelName: string } | undefined;
  const sameNameIsSchema = value !== undefined && Node.isVariableDeclaration(value) && isZodLike(value);
  // The `FooSchema` convention: the schema beside the type, named after it (local files only: a package's
  // model is imported the way ws.ts imports it, which needs one name for both).
  if (!sameNameIsSchema && typeFile !== undefined && typeDeclaration !== undefined && !typeFile.isInNodeModules()) {
    const schemaName = `${symbol.getName()}Schema`;
    // Exported (also re-exported) from the type's file under its name, or declared there (exported under another name, or not).
    const exported = typeFile.getExportedDeclarations().get(schemaName)?.[0];
    const local = typeFile.getVariableDeclaration(schemaName);
    const conventional = exported ?? local;
    if (conventional !== undefined && Node.isVariableDeclaration(conventional)) {
      value = conventional;
      convention = {
        schemaExport: exported !== undefined ? schemaName : local !== undefined ? exportNameOf(typeFile, local) : undefined,
        modelName: exportNameOf(typeFile, typeDeclaration as MorphNode & { getName(): string }) ?? symbol.getName(),
      };
    }
  }
  if (value === undefined || !Node.isVariableDeclaration(value)) {
    // The type is exported but its schema is not: say so rather than "no schema".
    const hidden = typeFile?.getVariableDeclaration(symbol.getName());
    if (hidden !== undefined) {
      throw InputError.at(
        locationOf(config, hidden),
        `${routerName}: the schema \`${hidden.getName()}\` is not exported from its file.`,
        `Export it (\`export const ${hidden.getName()} = …\`) so generated code can import it.`,
        "ERR_NOT_EXPORTED",
      );
    }
    const seen = typeFile === undefined ? [] : exportedSchemaNames(typeFile);
    throw InputError.at(
      location,
      `${routerName}: the ${role} type \`${typeName.getText()}\` has no zod schema \`${symbol.getName()}\` or \`${symbol.getName()}Schema\` beside it${
        typeFile === undefined ? "" : ` in ${relativeTo(config.root, typeFile.getFilePath())}`
      }.`,
      `${seen.length > 0 ? `Schemas exported there: ${seen.join(", ")}. ` : "That file exports no zod schema. "}${hint}`,
      "ERR_NO_SCHEMA",
    );
  }
  if (!isZodLike(value)) {
    throw InputError.at(
      locationOf(config, value),
      `${routerName}: \`${value.getName()}\`, the value behind the ${role} type, is not a zod schema.`,
      hint,
      "ERR_NO_SCHEMA",
    );
  }
  if (isZodMini(value)) {
    throw InputError.at(
      locationOf(config, value),
      `${routerName}: \`${value.getName()}\` is a zod/mini schema; generated routers take zod's classic schemas.`,
      'Build the model with import { z } from "zod" (zod 4 classic): the routers call its schema methods and types.',
      "ERR_ZOD_MINI",
    );
  }
  if (convention !== undefined && typeFile !== undefined) {
    // Schema and type are both imported from the type's file, which exports (or re-exports) them.
    if (convention.schemaExport === undefined) throw notExported(config, routerName, value);
    const file = typeFile.getFilePath() as string;
    const { schemaExport, modelName } = convention;
    return {
      name: schemaExport,
      modelName,
      typeName: modelName,
      importPath: importSpecifier(outputDir, file),
      file,
      location: locationOf(config, value),
    };
  }
  const declaringFile = value.getSourceFile();
  if (declaringFile.isInNodeModules()) return modelFromPackage(config, outputDir, typeName, location, routerName, role);
  const exportName = exportNameOf(declaringFile, value);
  if (exportName === undefined) throw notExported(config, routerName, value);
  const file = declaringFile.getFilePath() as string;
  return {
    name: exportName,
    modelName: exportName,
    typeName: exportName,
    importPath: importSpecifier(outputDir, file),
    file,
    location: locationOf(config, value),
  };
}

function notExported(config: ResolvedConfig, routerName: string, value: MorphNode & { getName(): string }): InputError {
  return InputError.at(
    locationOf(config, value),
    `${routerName}: the schema \`${value.getName()}\` is not exported from its file.`,
    `Export it (\`export const ${value.getName()} = …\`) so generated code can import it.`,
    "ERR_NOT_EXPORTED",
  );
}

/** A model that lives in a package: import it the way ws.ts does. */
function modelFromPackage(
  config: ResolvedConfig,
  outputDir: string,
  typeName: MorphNode,
  location: SourceLocation,
  routerName: string,
  role: string,
): ModelRef {
  const { Node } = loadTsMorph();
  const leftmost = Node.isQualifiedName(typeName) ? leftmostIdentifier(typeName) : typeName;
  const rightmost = Node.isQualifiedName(typeName) ? typeName.getRight().getText() : undefined;
  const declaration = leftmost.getSymbol()?.getDeclarations()[0];
  const importDeclaration = declaration?.getFirstAncestorByKind(loadTsMorph().SyntaxKind.ImportDeclaration);
  if (declaration === undefined || importDeclaration === undefined) {
    throw InputError.at(
      location,
      `${routerName}: cannot tell how to import the ${role} model \`${typeName.getText()}\`.`,
      "Import the model into ws.ts by name from its package.",
      "ERR_UNRESOLVED",
    );
  }
  const name = rightmost ?? (Node.isImportSpecifier(declaration) ? declaration.getName() : leftmost.getText());
  const specifier = importDeclaration.getModuleSpecifierValue();
  // A relative specifier (a local barrel re-exporting a package's model) is rebased from ws.ts to each output file.
  const file = specifier.startsWith(".") ? resolve(dirname(declaration.getSourceFile().getFilePath()), specifier) : undefined;
  return {
    name,
    modelName: name,
    typeName: name,
    importPath: file !== undefined ? importSpecifier(outputDir, file) : specifier,
    file,
    location: locationOf(config, declaration),
  };
}

function leftmostIdentifier(node: MorphNode): MorphNode {
  const { Node } = loadTsMorph();
  let current = node;
  while (Node.isQualifiedName(current)) current = current.getLeft();
  return current;
}

/** A value that looks like a zod schema: it has `safeParse` and `parse`. */
function isZodLike(declaration: MorphNode): boolean {
  const type = declaration.getType();
  return type.getProperty("safeParse") !== undefined && type.getProperty("parse") !== undefined;
}

/** zod/mini's schema classes are `ZodMini…` (`ZodMiniObject`, `ZodMiniString`); classic zod's are `Zod…`. */
function isZodMini(declaration: MorphNode): boolean {
  return declaration.getType().getSymbol()?.getName().startsWith("ZodMini") === true;
}

/** The exported variables of `file` whose value looks like a zod schema. */
function exportedSchemaNames(file: SourceFile): string[] {
  const { Node } = loadTsMorph();
  const names: string[] = [];
  for (const [name, declarations] of file.getExportedDeclarations()) {
    const declaration = declarations[0];
    if (declaration !== undefined && Node.isVariableDeclaration(declaration) && isZodLike(declaration)) names.push(name);
  }
  return names.sort(compareStrings);
}

/** The name under which `file` exports `declaration` (its own name first), or undefined. */

function exportNameOf(file: SourceFile, declaration: MorphNode & { getName(): string }): string | undefined {
  const names: string[] = [];
  for (const [name, declarations] of file.getExportedDeclarations()) {
    if (declarations.includes(declaration as never)) names.push(name);
  }
  return names.includes(declaration.getName()) ? declaration.getName() : names.sort()[0];
}

function resolveAlias(symbol: MorphSymbol | undefined): MorphSymbol | undefined {
  if (symbol === undefined) return undefined;
  return symbol.isAlias() ? symbol.getAliasedSymbol() : symbol;
}

/** True for wsgen's own `WsRouter` type, wherever it was imported from. */
function isWsRouterMarker(symbol: MorphSymbol): boolean {
  const declaration = symbol.getDeclarations()[0];
  if (declaration === undefined || symbol.getName() !== "WsRouter") return false;
  return packageNameOf(declaration.getSourceFile().getFilePath()) === "wsgen";
}

function collisions(routers: readonly RouterDeclaration[]): Problem[] {
  const problems: Problem[] = [];
  const seen = {
    name: new Map<string, RouterDeclaration>(),
    route: new Map<string, RouterDeclaration>(),
    file: new Map<string, RouterDeclaration>(),
  };
  for (const router of routers) {
    const first = seen.name.get(router.name);
    if (first !== undefined) {
      problems.push({
        location: router.location,
        message: `Duplicate router name ${router.name} (first at line ${first.location.line}).`,
        hint: "Rename one of the aliases.",
        code: "ERR_DUPLICATE_ROUTER",
      });
      continue;
    }
    seen.name.set(router.name, router);
    const sameRoute = seen.route.get(router.route);
    if (sameRoute !== undefined) {
      problems.push({
        location: router.location,
        message: `${router.name} and ${sameRoute.name} both use the route "${router.route}".`,
        hint: "Give one a different name or a `/** @route … */` tag.",
        code: "ERR_DUPLICATE_ROUTE",
      });
    }
    seen.route.set(router.route, router);
    const sameFile = seen.file.get(router.fileName);
    if (router.fileName === "index.ts" || sameFile !== undefined) {
      problems.push({
        location: router.location,
        message: `${router.name} would be written to ${router.fileName}, which ${sameFile ? `${sameFile.name} also uses` : "is the barrel"}.`,
        hint: "Rename the alias so its kebab-case file name is unique and not index.",
        code: "ERR_BARREL_COLLISION",
      });
    }
    seen.file.set(router.fileName, router);
  }
  return problems;
}

function locationOf(config: ResolvedConfig, node: MorphNode): SourceLocation {
  return locationAtPos(config, node.getSourceFile(), node.getStart());
}

function locationAtPos(config: ResolvedConfig, file: SourceFile, pos: number): SourceLocation {
  const { line, column } = file.getLineAndColumnAtPos(pos);
  return { file: relativeTo(config.root, file.getFilePath()), line, column };
}
