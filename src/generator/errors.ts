/**
 * Errors: those of the generator pipeline, each mapped to a CLI exit code.
 * `InputError` and `GateError` are the user's to fix (exit 2) and name
 * file, line and column; anything else is an internal error (exit 3).
 */
export interface SourceLocation {
  /** Path relative to the project root, with forward slashes. */
  file: string;
  line: number;
  column: number;
}

export interface Problem {
  location?: SourceLocation;
  message: string;
  /** What to do about it. */
  hint?: string;
  /** A rule id (eslint), TS code (TS2322) or wsgen code. */
  code?: string;
}

export const ExitCode = { ok: 0, drift: 1, input: 2, internal: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad usage, config or input: exit 2, nothing written. */
export class InputError extends Error {
  readonly problems: Problem[];

  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InputError";
    this.problems = problems;
  }

  static at(location: SourceLocation | undefined, message: string, hint?: string, code?: string): InputError {
    return new InputError([{ ...(location ? { location } : {}), message, ...(hint ? { hint } : {}), ...(code ? { code } : {}) }]);
  }
}

/** A quality gate (format, lint, typecheck) rejected the output: exit 2, nothing written. */
export class GateError extends Error {
  readonly gate: "format" | "lint" | "typecheck";
  readonly problems: Problem[];
  /** What to do, said once for every problem it concerns (those problems carry no hint of their own). */
  readonly hints: string[];

  constructor(gate: GateError["gate"], problems: Problem[], hints: readonly string[] = []) {
    const lines = [...problems.map(formatProblem), ...hints.map((hint) => `hint: ${hint}`)];
    super(`${gate} gate failed:\n${lines.join("\n")}`);
    this.name = "GateError";
    this.gate = gate;
    this.problems = problems;
    this.hints = [...hints];
  }
}

export function formatProblem(problem: Problem): string {
  const where = problem.location ? `${problem.location.file}:${problem.location.line}:${problem.location.column}: ` : "";
  const code = problem.code ? ` [${problem.code}]` : "";
  const hint = problem.hint ? `\n  hint: ${problem.hint}` : "";
  return `${where}${problem.message}${code}${hint}`;
}

/** A failure as a run's result reports it (`--json` prints it as is). */
export interface RunError {
  kind: "input" | "gate" | "internal";
  gate?: GateError["gate"];
  message: string;
  problems: Problem[];
  /** A gate's hints that apply to several of its problems, each said once. */
  hints?: string[];
}

/** A caught error as a result's exit code and error: the user's to fix (2), or internal (3, with its stack). */
export function failureOf(error: unknown): { exitCode: ExitCode; error: RunError } {
  if (error instanceof InputError) {
    return { exitCode: ExitCode.input, error: { kind: "input", message: error.message, problems: error.problems } };
  }
  if (error instanceof GateError) {
    const { gate, message, problems, hints } = error;
    return { exitCode: ExitCode.input, error: { kind: "gate", gate, message, problems, ...(hints.length > 0 ? { hints } : {}) } };
  }
  return { exitCode: ExitCode.internal, error: { kind: "internal", message: internalMessage(error), problems: [] } };
}

/** What an internal error prints: the stack when there is one, for the bug report. */
export function internalMessage(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The first line of a thrown error's message: tools' messages often go on with a long trace. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/**
 * Runs `step`, moving an InputError's problems into `problems` so that one
 * run reports every bad declaration, not just the first; other errors propagate.
 */
export function collectProblems<T>(problems: Problem[], step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}
