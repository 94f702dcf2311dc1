/**
 * The gate program: a TypeScript program (JS API, TypeScript 5.8 to 6.x)
 * from the project's own `typescript` and tsconfig, holding the rendered
 * files in memory at their real paths (disk untouched). Its roots are the
 * output and each module's ws.ts, so it holds exactly those and what they
 * import. The lint gate's type-aware rules read it; the typecheck gate asks it
 * for diagnostics. Each lint fix pass gets a program of the fixed text, which
 * reuses every unchanged file of the one before.
 */
import type { Program, SourceFile } from "typescript";
import { dirname } from "node:path";
import { GateError, type Problem } from "./errors.js";
import { relativeTo } from "./paths.js";
import type { RenderedFile } from "./render.js";
import type { TypeScript } from "./typescript.js";

export interface GateProgram {
  ts: TypeScript;
  program: Program;
  /** The program with `files`' texts instead (the same one when none changed). */
  update(files: readonly RenderedFile[]): GateProgram;
}

/**
 * @param roots files checked beside the output (each module's ws.ts)
 */
export function createGateProgram(
  ts: TypeScript,
  root: string,
  tsconfigPath: string,
  files: readonly RenderedFile[],
  roots: readonly string[],
): GateProgram {
  const options = { ...parseTsconfig(ts, root, tsconfigPath), noEmit: true };
  // The texts of the program being built: the host reads files only while createProgram runs.
  let memory = new Map(files.map((file) => [file.path, file.content]));
  const host = ts.createCompilerHost(options, true);
  const disk = {
    getSourceFile: host.getSourceFile.bind(host),
    fileExists: host.fileExists.bind(host),
    readFile: host.readFile.bind(host),
    directoryExists: host.directoryExists?.bind(host) ?? ((path: string) => ts.sys.directoryExists(path)),
  };
  // Source files by path and text: a later program gets the very object again, which is how TypeScript knows to reuse it.
  const parsed = new Map<string, { text: string | undefined; file: SourceFile | undefined }>();
  // The output folder may not exist on disk yet: it exists if an in-memory file is in it.
  const memoryDirs = new Set(files.flatMap((file) => ancestors(file.path)));
  host.directoryExists = (path) => memoryDirs.has(path) || disk.directoryExists(path);
  host.fileExists = (path) => memory.has(path) || disk.fileExists(path);
  host.readFile = (path) => memory.get(path) ?? disk.readFile(path);
  host.getSourceFile = (path, language, onError, shouldCreate) => {
    const text = memory.get(path);
    const known = parsed.get(path);
    if (known !== undefined && known.text === text) return known.file;
    const file =
      text !== undefined ? ts.createSourceFile(path, text, language, true) : disk.getSourceFile(path, language, onError, shouldCreate);
    parsed.set(path, { text, file });
    return file;
  };
  const rootNames = [...memory.keys(), ...roots];
  const build = (texts: Map<string, string>, oldProgram: Program | undefined): GateProgram => {
    memory = texts;
    const program = ts.createProgram({ rootNames, options, host, ...(oldProgram ? { oldProgram } : {}) });
    const gate: GateProgram = {
      ts,
      program,
      update: (next) => {
        if (next.every((file) => texts.get(file.path) === file.content)) return gate;
        return build(new Map([...texts, ...next.map((file) => [file.path, file.content] as const)]), program);
      },
    };
    return gate;
  };
  return build(memory, undefined);
}

/** The tsconfig's compiler options; its errors fail the typecheck gate, at the tsconfig. */
function parseTsconfig(ts: TypeScript, root: string, tsconfigPath: string): import("typescript").CompilerOptions {
  const messages: Problem[] = [];
  const message = (diagnostic: import("typescript").Diagnostic): Problem => ({
    message: ts.flattenDiagnosticMessageText(diagnostic.messageText, " "),
    code: `TS${diagnostic.code}`,
  });
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => messages.push(message(diagnostic)) },
  );
  // TS18003 (no inputs on disk) does not concern the gate: its inputs are the in-memory output.
  for (const diagnostic of (parsed?.errors ?? []).filter((error) => error.code !== 18003)) messages.push(message(diagnostic));
  if (parsed === undefined || messages.length > 0) {
    const location = { file: relativeTo(root, tsconfigPath), line: 1, column: 1 };
    throw new GateError(
      "typecheck",
      messages.map((problem) => ({ ...problem, location })),
      ["Fix the project's tsconfig."],
    );
  }
  return parsed.options;
}

function ancestors(path: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); dirname(dir) !== dir; dir = dirname(dir)) dirs.push(dir);
  return dirs;
}
