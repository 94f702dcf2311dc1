/**
 * The lint gate: the project's eslint lints each file's in-memory text at its
 * real path, so the project's flat config applies, and its fixes are applied
 * in memory before anything is judged; only what eslint cannot fix fails.
 *
 * wsgen runs the fix loop itself instead of `new ESLint({ fix: true })`:
 * type-aware rules read the gate program, and typescript-eslint takes a
 * provided program's AST as it is, so eslint's own fix passes would lint the
 * fixed text against the unfixed AST. Each pass here lints texts that match
 * its program: lint, apply the fixes, format what changed with prettier, build
 * the program of the new text, lint again; until no fix applies (at most
 * MAX_FIX_PASSES). The last pass's messages are therefore positions in the
 * text that is written, which prettier has formatted last.
 */
import type { ESLint as ESLintClass, Linter } from "eslint";
import { firstLine, GateError, type Problem } from "./errors.js";
import type { Formatter } from "./format-gate.js";
import type { GateProgram } from "./gate-program.js";
import { ignoringLeakedRejections } from "./leaked-rejections.js";
import type { RenderedFile } from "./render.js";
import { importFromProject } from "./tools.js";
import type { ProjectTypeScript } from "./typescript.js";

type ESLintModule = typeof import("eslint");

/** eslint's own limit for fix passes over one file. */
const MAX_FIX_PASSES = 10;

const HINTS = {
  rules:
    "Generated code must pass the project's eslint config once eslint's fixes are applied. Change the rule for ws_generated/, or report the template.",
  undone:
    "eslint's fix for a rule marked fixable was undone by prettier, which formats last: turn that formatting rule off (eslint-config-prettier does so for all of them).",
  noProgram: (version: string) =>
    `This project's typescript is ${version}, which has no JS API to hand typescript-eslint the output in memory, so type-aware parsing cannot see files that are not written yet. Lint with TypeScript 6 as "typescript" (TypeScript 7 installed beside it under another name), or set gates.lint to false (or pass --no-lint).`,
};

export interface LintInput {
  root: string;
  files: readonly RenderedFile[];
  /** The program type-aware rules read; undefined without TypeScript's JS API (TypeScript 7, or none). */
  program: GateProgram | undefined;
  /** Formats what the fixes changed; undefined when the format gate does not run. */
  format: Formatter | undefined;
  typescript: ProjectTypeScript | undefined;
}

export interface LintOutcome {
  /** The output with every fix applied (and formatted again): what is written. */
  files: RenderedFile[];
  /** The program of those texts. */
  program: GateProgram | undefined;
  /** Problems eslint could not fix, at error level: the gate fails on them when it judges. */
  errors: Problem[];
  /** What to do about `errors`, each said once. */
  hints: string[];
  warnings: Problem[];
}

export async function runLintGate(input: LintInput): Promise<LintOutcome> {
  const { ESLint } = await importFromProject<ESLintModule>(input.root, "eslint", "lint");
  return ignoringLeakedRejections(async (handled) => {
    let files = [...input.files];
    let program = input.program;
    for (let pass = 1; ; pass++) {
      const results = await lintAll(new ESLint(eslintOptions(input.root, program)), files, input.typescript, handled);
      const fixed = pass < MAX_FIX_PASSES ? files.map((file, index) => applyFixes(file, results[index] ?? [])) : files;
      const changed = fixed.filter((file, index) => file.content !== files[index]?.content);
      if (changed.length === 0) return judge(files, results, program, input);
      const formatted = input.format !== undefined ? await input.format(changed) : changed;
      const byPath = new Map(formatted.map((file) => [file.path, file]));
      const next = fixed.map((file) => byPath.get(file.path) ?? file);
      // Prettier undid every fix (a formatting rule that disagrees with it): they stay problems.
      if (next.every((file, index) => file.content === files[index]?.content)) return judge(files, results, program, input);
      files = next;
      program = program?.update(files);
    }
  });
}

function eslintOptions(root: string, program: GateProgram | undefined): ESLintClass.Options {
  // No `files` here: the override applies only where the project's own config already lints a file,
  // so a config that does not cover .ts files skips them (a warning) instead of misparsing them.
  return program === undefined
    ? { cwd: root }
    : {
        cwd: root,
        overrideConfig: {
          languageOptions: {
            parserOptions: { projectService: false, project: null, programs: [program.program], tsconfigRootDir: root },
          },
        },
      };
}

/** Each file's messages, in the order of `files`. */
async function lintAll(
  eslint: ESLintClass,
  files: readonly RenderedFile[],
  typescript: ProjectTypeScript | undefined,
  handled: (error: unknown) => void,
): Promise<Linter.LintMessage[][]> {
  const messages: Linter.LintMessage[][] = [];
  for (const file of files) {
    try {
      const results = await eslint.lintText(file.content, { filePath: file.path, warnIgnored: true });
      messages.push(results.flatMap((result) => result.messages));
    } catch (error) {
      handled(error);
      throw new GateError(
        "lint",
        [{ message: `eslint could not run: ${firstLine(error)}`, code: "eslint" }],
        [cannotRunHint(error, typescript)],
      );
    }
  }
  return messages;
}

function cannotRunHint(error: unknown, typescript: ProjectTypeScript | undefined): string {
  const trace = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
  if (typescript?.kind === "native" && /typescript-eslint/.test(trace)) {
    return `typescript-eslint does not support TypeScript 7 (this project has typescript ${typescript.version}), so the project's eslint config cannot load. Lint with TypeScript 6: keep typescript@6 as "typescript" and install TypeScript 7 beside it under another name, as TypeScript 7's release notes describe; or set gates.lint to false (or pass --no-lint) until typescript-eslint supports it.`;
  }
  return "Run `npx eslint` on a project file to see the same error; fix the project's eslint config, or pass --no-lint.";
}

/** The text with every fix eslint offers that does not overlap an earlier one, as `eslint --fix` applies them. */
function applyFixes(file: RenderedFile, messages: readonly Linter.LintMessage[]): RenderedFile {
  const fixes = messages
    .flatMap((message) => (message.fix !== undefined ? [message.fix] : []))
    .sort((a, b) => a.range[0] - b.range[0] || a.range[1] - b.range[1]);
  if (fixes.length === 0) return file;
  let content = "";
  let end = -1;
  for (const fix of fixes) {
    if (fix.range[0] <= end || fix.range[0] > fix.range[1]) continue; // overlaps the last one applied: the next pass sees it again
    content += file.content.slice(Math.max(0, end), fix.range[0]) + fix.text;
    end = fix.range[1];
  }
  return { ...file, content: content + file.content.slice(Math.max(0, end)) };
}

function judge(
  files: readonly RenderedFile[],
  results: readonly Linter.LintMessage[][],
  program: GateProgram | undefined,
  { typescript, format }: LintInput,
): LintOutcome {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const hints = new Set<string>();
  for (const [index, file] of files.entries()) {
    for (const message of results[index] ?? []) {
      const problem: Problem = {
        location: { file: file.relativePath, line: message.line ?? 1, column: message.column ?? 1 },
        message: message.message,
        code: message.ruleId ?? (message.fatal === true ? "parse-error" : "eslint"),
      };
      if (message.severity !== 2) {
        warnings.push(problem);
        continue;
      }
      errors.push(problem);
      const unparsed = message.fatal === true && program === undefined && typescript?.kind === "native";
      hints.add(
        unparsed ? HINTS.noProgram(typescript.version) : message.fix !== undefined && format !== undefined ? HINTS.undone : HINTS.rules,
      );
    }
  }
  return { files: [...files], program, errors, hints: [...hints], warnings };
}
