/**
 * The format gate: the project's prettier formats each output file with the
 * config prettier resolves for the file's path (`.editorconfig` included).
 * The lint gate formats again what eslint's fixes changed, so what is written
 * is always prettier's text. A file prettier cannot format fails the gate.
 */
import { firstLine, GateError, type Problem } from "./errors.js";
import type { RenderedFile } from "./render.js";
import { importFromProject } from "./tools.js";

export type Prettier = typeof import("prettier");

/** Formats rendered files; every call rereads nothing (the configs were read when it was loaded). */
export type Formatter = (files: readonly RenderedFile[]) => Promise<RenderedFile[]>;

/** The project's prettier, as a Formatter. */
export async function loadFormatter(root: string): Promise<Formatter> {
  const prettier = await importFromProject<Prettier>(root, "prettier", "format");
  // Configs may have changed since the last run in this process (watch mode, tests).
  await prettier.clearConfigCache();
  return async (files) => {
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
            code: "prettier",
          });
          return file;
        }
      }),
    );
    if (problems.length > 0)
      throw new GateError("format", problems, ["Check the project's prettier config; the generated code itself is valid TypeScript."]);
    return formatted;
  };
}
