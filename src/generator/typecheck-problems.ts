/**
 * Typecheck problems: the errors either compiler reports, as the gate's
 * failure. Errors of the output and of the project files it depends on count
 * (each named as the file it is in, with a hint saying whose the fix is);
 * those of packages and of TypeScript's own libs do not.
 */
import { isAbsolute, sep } from "node:path";
import { GateError, type Problem } from "./errors.js";
import { relativeTo } from "./paths.js";
import type { RenderedFile } from "./render.js";

/** An error as either compiler reports it. */
export interface TypeDiagnostic {
  /** Absolute path of the file; undefined for errors of no file (options, globals). */
  path: string | undefined;
  line: number;
  column: number;
  code: number;
  /** The whole message chain on one line. */
  message: string;
}

/** A message chain (one line per level, indented) as one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * TypeScript's codes for ES module syntax in a file it compiles as CommonJS:
 * an ES module imported from CommonJS (TS1479), `require` of one (TS1471),
 * and ESM imports or exports under verbatimModuleSyntax (TS1286 before
 * TypeScript 6, TS1295, TS1287).
 */
const ESM_FROM_COMMONJS = new Set([1286, 1287, 1295, 1471, 1479]);

const HINTS = {
  esm: 'wsgen and its generated code are ES modules, but this project compiles its .ts files as CommonJS: set "type": "module" in package.json, so that Node and TypeScript treat them as ESM.',
  output: "The generated code does not type-check against its models and wsgen under the project's tsconfig.",
  tsconfig: "Fix the project's tsconfig.",
  project: (files: readonly string[]) =>
    `${files.join(", ")} ${files.length > 1 ? "are" : "is"} the project's own, and the generated code depends on ${files.length > 1 ? "them" : "it"}: fix the errors there; the generated files are not at fault.`,
};

/** The gate's failure for `diagnostics`, or undefined when none of them concerns the project. */
export function typecheckFailure(
  { root, tsconfigPath, files }: { root: string; tsconfigPath: string; files: readonly RenderedFile[] },
  diagnostics: readonly TypeDiagnostic[],
): GateError | undefined {
  const outputs = new Set(files.map((file) => file.path));
  const tsconfig = relativeTo(root, tsconfigPath);
  const problems: Problem[] = [];
  const hints = new Set<string>();
  const projectFiles = new Set<string>();
  for (const diagnostic of diagnostics) {
    const { path } = diagnostic;
    if (path !== undefined && !isProjectFile(path)) continue;
    const file = path === undefined ? tsconfig : relativeTo(root, path);
    problems.push({
      location: { file, line: path === undefined ? 1 : diagnostic.line, column: path === undefined ? 1 : diagnostic.column },
      message: diagnostic.message,
      code: `TS${diagnostic.code}`,
    });
    if (ESM_FROM_COMMONJS.has(diagnostic.code)) hints.add(HINTS.esm);
    else if (path === undefined || /\.json$/.test(path)) hints.add(HINTS.tsconfig);
    else if (outputs.has(path)) hints.add(HINTS.output);
    else projectFiles.add(file);
  }
  if (problems.length === 0) return undefined;
  if (projectFiles.size > 0) hints.add(HINTS.project([...projectFiles]));
  return new GateError("typecheck", problems, [...hints]);
}

/** A file of the project's own: not a package's, nor one of TypeScript's libs (TypeScript 7 names those `bundled:///libs/…`). */
function isProjectFile(path: string): boolean {
  return isAbsolute(path) && !path.split(sep).includes("node_modules");
}
