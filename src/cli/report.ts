/**
 * Report: human and machine output of the CLI. Colour only on a TTY without
 * NO_COLOR; `--json` prints exactly one result object per run.
 */
import type { GenerateResult } from "../generator/codegen.js";
import { formatProblem, type RunError } from "../generator/errors.js";
import type { SkippedGate } from "../generator/gate-plan.js";
import type { FileResult } from "../generator/output.js";
import type { SpecResult } from "../generator/spec.js";

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
}

export function defaultOutput(): Output {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  };
}

const paint = (output: Output, code: number, text: string): string => (output.color ? `\u001b[${code}m${text}\u001b[0m` : text);
const seconds = (ms: number | undefined): string => `${((ms ?? 0) / 1000).toFixed(2)}s`;

function count(files: readonly FileResult[]): string {
  const tally = new Map<string, number>();
  for (const file of files) tally.set(file.status, (tally.get(file.status) ?? 0) + 1);
  return [...tally].map(([status, n]) => `${n} ${status}`).join(", ") || "no files";
}

function reportProblems(output: Output, title: string, error: RunError): void {
  output.err(paint(output, 31, title));
  if (error.problems.length === 0) output.err(error.message);
  for (const problem of error.problems) output.err(`  ${formatProblem(problem).replace(/\n/g, "\n  ")}`);
  for (const hint of error.hints ?? []) output.err(`  hint: ${hint}`);
}

/** One line per gate that did not run for want of its tool, on stderr: the run still succeeds. */
function reportSkipped(output: Output, skipped: readonly SkippedGate[]): void {
  for (const gate of skipped) output.err(paint(output, 33, `wsgen: ${gate.message}`));
}

export function reportGenerate(output: Output, result: GenerateResult): void {
  reportSkipped(output, result.skipped);
  if (result.error !== undefined) {
    const title =
      result.error.kind === "gate"
        ? `wsgen: the ${result.error.gate ?? ""} gate failed; nothing was written.`
        : result.error.kind === "input"
          ? "wsgen: bad input; nothing was written."
          : "wsgen: internal error (please report it with the trace below).";
    reportProblems(output, title, result.error);
    return;
  }
  for (const warning of result.warnings) output.err(paint(output, 33, `warning: ${formatProblem(warning)}`));
  const width = Math.max(0, ...result.modules.map((module) => module.name.length));
  if (result.mode === "check") {
    for (const module of result.modules) {
      for (const file of module.files) {
        if (file.status === "changed") output.out(`${paint(output, 33, `changed: ${file.path}`)}\n${file.diff ?? ""}`);
      }
    }
    const differing = result.modules.flatMap((module) => module.files.filter((file) => file.status !== "unchanged"));
    const missing = differing.filter((file) => file.status === "missing");
    const stale = differing.filter((file) => file.status === "stale");
    if (missing.length > 0) output.out(`missing (would be created):\n${missing.map((file) => `  ${file.path}`).join("\n")}`);
    if (stale.length > 0) output.out(`stale (would be removed):\n${stale.map((file) => `  ${file.path}`).join("\n")}`);
    for (const module of result.modules) output.out(`  ${module.name.padEnd(width)}  ${count(module.files)}`);
    output.out(
      differing.length === 0
        ? paint(output, 32, `wsgen check: up to date (${seconds(result.timings.total)})`)
        : paint(
            output,
            31,
            `wsgen check: ${differing.length} file(s) differ from the ws.ts declarations; run \`npx wsgen generate\` and commit the result.`,
          ),
    );
    return;
  }
  for (const module of result.modules) output.out(`  ${module.name.padEnd(width)}  ${count(module.files)}`);
  const stages = (["cache", "load", "format", "lint", "typecheck", "write"] as const)
    .filter((stage) => result.timings[stage] !== undefined)
    .map((stage) => `${stage} ${seconds(result.timings[stage])}`)
    .join(", ");
  output.out(paint(output, 32, `wsgen generate: done in ${seconds(result.timings.total)} (${stages})`));
}

export function reportSpec(output: Output, result: SpecResult): void {
  reportSkipped(output, result.skipped);
  if (result.error !== undefined) {
    reportProblems(output, result.error.kind === "input" ? "wsgen spec: bad input." : "wsgen spec: internal error.", result.error);
    return;
  }
  for (const file of result.files) output.out(`  ${file.status.padEnd(9)} ${file.path}`);
  output.out(paint(output, 32, `wsgen spec: ${result.files.length} document(s)`));
}
