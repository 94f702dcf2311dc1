/**
 * Gates: quality checks on the in-memory output, with the project's own
 * configs: prettier (format), eslint (lint, type-aware rules allowed) and tsc
 * (typecheck, through the ts-morph project discovery already built, so the
 * program is created once per run). A gate that fails throws a GateError
 * naming file, line, column and rule or TS code; nothing is written.
 */
import { dirname } from "node:path";
import { firstLine, GateError, type Problem } from "./errors.js";
import { relativeTo } from "./paths.js";
import type { RenderedFile } from "./render.js";
import { importFromProject, loadProjectTypeScript, type TypeScript } from "./tools.js";

type Prettier = typeof import("prettier");
type ESLintModule = typeof import("eslint");

/** Formats each file with prettier and the config prettier resolves for its path. */
export async function runFormatGate(root: string, files: readonly RenderedFile[]): Promise<RenderedFile[]> {
  const prettier = await importFromProject<Prettier>(root, "prettier", "format");
  // Configs may have changed since the last run in this process (watch mode, tests).
  await prettier.clearConfigCache();
  const problems: Problem[] = [];
  const formatted = await Promise.all(
    files.map(async (file) => {
      try {
        const options = (await prettier.resolveConfig(file.path, { editorconfig: true })) ?? {};
        return { ...file, content: await prettier.format(file.content, { ...options, filepath: file.path }) };
      } catch (error) {
        const loc = (error as { loc?: { start?: { line?: number; column?: number } } }).loc?.start;
        problems.push({
          location: { file: file.relativePath, line: loc?.line ?? 1, column: loc?.column ?? 1 },
          message: `prettier could not format the output: ${firstLine(error)}`,
          hint: "Check the project's prettier config; the generated code itself is valid TypeScript.",
          code: "prettier",
        });
        return file;
      }
    }),
  );
  if (problems.length > 0) throw new GateError("format", problems);
  return formatted;
}

/**
 * One TypeScript program per run, from the project's own `typescript` and
 * tsconfig, holding the rendered files in memory (disk untouched). Both the
 * lint gate (for type-aware rules) and the typecheck gate use it.
 */
export interface GateProgram {
  ts: TypeScript;
  program: import("typescript").Program;
}

export function createGateProgram(root: string, tsconfigPath: string, files: readonly RenderedFile[]): GateProgram {
  const ts = loadProjectTypeScript(root);
  const configProblems: Problem[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) =>
        configProblems.push({ message: ts.flattenDiagnosticMessageText(diagnostic.messageText, " "), code: `TS${diagnostic.code}` }),
    },
  );
  const tsconfigFile = relativeTo(root, tsconfigPath);
  // TS18003 (no inputs on disk) does not concern the gate: its inputs are the in-memory output.
  for (const diagnostic of (parsed?.errors ?? []).filter((error) => error.code !== 18003)) {
    configProblems.push({ message: ts.flattenDiagnosticMessageText(diagnostic.messageText, " "), code: `TS${diagnostic.code}` });
  }
  if (parsed === undefined || configProblems.length > 0) {
    throw new GateError(
      "typecheck",
      configProblems.map((problem) => ({
        ...problem,
        location: { file: tsconfigFile, line: 1, column: 1 },
        hint: "Fix the project's tsconfig.",
      })),
    );
  }
  const memory = new Map(files.map((file) => [file.path, file.content]));
  const host = ts.createCompilerHost(parsed.options, true);
  const disk = {
    getSourceFile: host.getSourceFile.bind(host),
    fileExists: host.fileExists.bind(host),
    readFile: host.readFile.bind(host),
    directoryExists: host.directoryExists?.bind(host) ?? ((path: string) => ts.sys.directoryExists(path)),
  };
  // The output folder may not exist on disk yet: it exists if an in-memory file is in it.
  const memoryDirs = new Set(files.flatMap((file) => ancestors(file.path)));
  host.directoryExists = (path) => memoryDirs.has(path) || disk.directoryExists(path);
  host.fileExists = (path) => memory.has(path) || disk.fileExists(path);
  host.readFile = (path) => memory.get(path) ?? disk.readFile(path);
  host.getSourceFile = (path, language, onError, shouldCreate) => {
    const text = memory.get(path);
    return text !== undefined ? ts.createSourceFile(path, text, language, true) : disk.getSourceFile(path, language, onError, shouldCreate);
  };
  const program = ts.createProgram({ rootNames: [...memory.keys()], options: { ...parsed.options, noEmit: true }, host });
  return { ts, program };
}

/**
 * Lints each file's in-memory text at its real path, so the project's flat
 * config applies; type-aware rules read the gate program instead of a
 * project service, which would only see files on disk.
 */
export async function runLintGate(root: string, files: readonly RenderedFile[], gate: GateProgram): Promise<{ warnings: Problem[] }> {
  const { ESLint } = await importFromProject<ESLintModule>(root, "eslint", "lint");
  // No `files` here: the override applies only where the project's own config already lints a file,
  // so a config that does not cover .ts files skips them (a warning) instead of misparsing them.
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false, project: null, programs: [gate.program], tsconfigRootDir: root } },
    },
  });
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  for (const file of files) {
    let results: Awaited<ReturnType<typeof eslint.lintText>>;
    try {
      results = await eslint.lintText(file.content, { filePath: file.path, warnIgnored: true });
    } catch (error) {
      // Most often: no eslint config in the project.
      throw new GateError("lint", [
        {
          message: `eslint could not run: ${firstLine(error)}`,
          hint: "Add an eslint.config.js to the project, or pass --no-lint.",
          code: "eslint",
        },
      ]);
    }
    for (const result of results) {
      for (const message of result.messages) {
        const problem: Problem = {
          location: { file: file.relativePath, line: message.line ?? 1, column: message.column ?? 1 },
          message: message.message,
          code: message.ruleId ?? (message.fatal ? "parse-error" : "eslint"),
          hint: "Generated code must pass the project's eslint config. Change the rule for ws_generated/ or report the template.",
        };
        (message.severity === 2 ? problems : warnings).push(problem);
      }
    }
  }
  if (problems.length > 0) throw new GateError("lint", problems);
  return { warnings };
}

/** Type-checks the output with everything it imports; only the output's own diagnostics count. */
export function runTypecheckGate({ ts, program }: GateProgram, files: readonly RenderedFile[]): void {
  const problems: Problem[] = [];
  for (const file of files) {
    const sourceFile = program.getSourceFile(file.path);
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const diagnostic of diagnostics) {
      const { line, character } = diagnostic.file?.getLineAndCharacterOfPosition(diagnostic.start ?? 0) ?? { line: 0, character: 0 };
      problems.push({
        location: { file: file.relativePath, line: line + 1, column: character + 1 },
        message: ts.flattenDiagnosticMessageText(diagnostic.messageText, " "),
        code: `TS${diagnostic.code}`,
        hint: typecheckHint(diagnostic.code),
      });
    }
  }
  if (problems.length > 0) throw new GateError("typecheck", problems);
}

/**
 * TypeScript's codes for ES module syntax in a file it compiles as CommonJS:
 * an ES module imported from CommonJS (TS1479), `require` of one (TS1471),
 * and ESM imports or exports under verbatimModuleSyntax (TS1286 before
 * TypeScript 6, TS1295, TS1287).
 */
const ESM_FROM_COMMONJS = new Set([1286, 1287, 1295, 1471, 1479]);

function typecheckHint(code: number): string {
  if (ESM_FROM_COMMONJS.has(code)) {
    return 'wsgen and its generated code are ES modules, but this project compiles its .ts files as CommonJS: set "type": "module" in package.json, so that Node and TypeScript treat them as ESM.';
  }
  return "The generated code does not type-check against its models and wsgen under the project's tsconfig.";
}

function ancestors(path: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); dirname(dir) !== dir; dir = dirname(dir)) dirs.push(dir);
  return dirs;
}
