/**
 * The typecheck gate: the output must compile under the project's tsconfig,
 * and so must the project files it depends on: each module's ws.ts and the
 * model files the output imports (with what they import). Their errors are
 * reported as errors of those files, with a hint that the fix is there; files
 * the output does not reach, packages and TypeScript's own libs are not
 * checked. TypeScript 5.8 to 6.x answers through the in-memory gate program;
 * TypeScript 7 through its tsc (typecheck-native.ts).
 */
import type { GateProgram } from "./gate-program.js";
import type { RenderedFile } from "./render.js";
import { runNativeTypecheck } from "./typecheck-native.js";
import { oneLine, typecheckFailure, type TypeDiagnostic } from "./typecheck-problems.js";
import type { ProjectTypeScript } from "./typescript.js";

export interface TypecheckInput {
  root: string;
  tsconfigPath: string;
  files: readonly RenderedFile[];
  /** Project files checked beside the output: each module's ws.ts. */
  roots: readonly string[];
  typescript: ProjectTypeScript;
  /** The program of `files` (the lint gate's last one when it ran); present with TypeScript's JS API. */
  program: GateProgram | undefined;
}

export async function runTypecheckGate(input: TypecheckInput): Promise<void> {
  const { typescript, program } = input;
  let diagnostics: TypeDiagnostic[];
  if (typescript.kind === "native") diagnostics = await runNativeTypecheck(input, typescript);
  else if (program !== undefined) diagnostics = programDiagnostics(program);
  else throw new Error("typecheck gate: TypeScript's JS API without a gate program"); // codegen creates one whenever the API is there
  const failure = typecheckFailure(input, diagnostics);
  if (failure !== undefined) throw failure;
}

/** The errors of every file of the program that is the project's (the output, ws.ts and what they import), and those of no file. */
function programDiagnostics({ ts, program }: GateProgram): TypeDiagnostic[] {
  const ownFiles = program
    .getSourceFiles()
    .filter((file) => !program.isSourceFileDefaultLibrary(file) && !program.isSourceFileFromExternalLibrary(file));
  const all = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ownFiles.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  return all
    .filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
    .map((diagnostic) => {
      const { line, character } = diagnostic.file?.getLineAndCharacterOfPosition(diagnostic.start ?? 0) ?? { line: 0, character: 0 };
      return {
        path: diagnostic.file?.fileName,
        line: line + 1,
        column: character + 1,
        code: diagnostic.code,
        message: oneLine(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")),
      };
    });
}
