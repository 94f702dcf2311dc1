/**
 * The typecheck gate under TypeScript 7, whose package has no JS compiler
 * API to hand files in memory to (its `unstable/*` IPC API may change in any
 * 7.x release). Its `tsc` checks the output written beside its real place
 * (overlay.ts), through a temporary tsconfig beside the project's that
 * extends it (so `${configDir}`, relative paths and `extends` chains mean what
 * they mean there) and lists the overlaid output and each ws.ts as its only
 * files. `tsc --pretty false` prints `file(line,col): error TSxxxx: message`,
 * continued on indented lines; paths come back mapped to the real ones.
 */
import { spawn } from "node:child_process";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { GateError } from "./errors.js";
import { writeOverlay } from "./overlay.js";
import { relativeTo } from "./paths.js";
import type { RenderedFile } from "./render.js";
import { oneLine, type TypeDiagnostic } from "./typecheck-problems.js";
import type { ProjectTypeScript } from "./typescript.js";

export interface NativeTypecheckInput {
  root: string;
  tsconfigPath: string;
  files: readonly RenderedFile[];
  /** Project files checked beside the output: each module's ws.ts. */
  roots: readonly string[];
}

type NativeTypeScript = Extract<ProjectTypeScript, { kind: "native" }>;

export async function runNativeTypecheck(input: NativeTypecheckInput, typescript: NativeTypeScript): Promise<TypeDiagnostic[]> {
  const overlay = writeOverlay(input.files);
  try {
    const configDir = dirname(input.tsconfigPath);
    const tsconfig = join(configDir, `.${basename(input.tsconfigPath, ".json")}.${overlay.tag}.json`);
    const files = [...overlay.temporaryOf.values(), ...input.roots].map((path) => specifier(configDir, path));
    const config = {
      extends: specifier(configDir, input.tsconfigPath),
      // Nothing may be written: no output, and no .tsbuildinfo describing this temporary program.
      compilerOptions: { noEmit: true, incremental: false, composite: false },
      files,
      include: [],
    };
    overlay.addTemporary(tsconfig, `${JSON.stringify(config, null, 2)}\n`);
    const run = await runTsc(typescript.tsc, ["-p", tsconfig, "--pretty", "false"], input.root, (stop) => overlay.onRemove(stop));
    const diagnostics = parseTscOutput(run.stdout, input.root).map((diagnostic) => {
      if (diagnostic.path === tsconfig) return { ...diagnostic, path: input.tsconfigPath, line: 1, column: 1 };
      return { ...diagnostic, path: diagnostic.path !== undefined ? (overlay.realOf(diagnostic.path) ?? diagnostic.path) : undefined };
    });
    // 0: no errors; 1 and 2: errors (reported, or emitted anyway). Anything else, or errors unseen, is tsc failing.
    if (run.signal !== null || run.code === null || run.code > 2 || (run.code !== 0 && diagnostics.length === 0)) {
      const output = `${run.stderr}\n${run.stdout}`.trim().split("\n")[0] ?? "";
      throw new GateError(
        "typecheck",
        [
          {
            message: `tsc of typescript ${typescript.version} failed (${run.signal ?? `exit ${String(run.code)}`}): ${output}`,
            code: "tsc",
          },
        ],
        [
          `Run \`npx tsc --noEmit -p ${relativeTo(input.root, input.tsconfigPath)}\` in the project to see the same failure; or pass --no-typecheck.`,
        ],
      );
    }
    return diagnostics;
  } finally {
    overlay.remove();
  }
}

/** A path as tsconfig `files` and `extends` take it: relative to the config's folder, forward slashes. */
function specifier(configDir: string, path: string): string {
  const relativePath = relative(configDir, path).split(sep).join("/");
  return relativePath.startsWith(".") ? relativePath : `./${relativePath}`;
}

interface TscRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the package's tsc bin with this Node; `onInterrupt` receives a function that stops it. */
function runTsc(tsc: string, args: readonly string[], cwd: string, onInterrupt: (stop: () => void) => void): Promise<TscRun> {
  return new Promise((resolvePromise, reject) => {
    // Its own process group (outside Windows), so that stopping it also stops the native compiler the bin starts.
    const group = process.platform !== "win32";
    const child = spawn(process.execPath, [tsc, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], detached: group });
    onInterrupt(() => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        if (group) process.kill(-child.pid, "SIGTERM");
        else child.kill();
      } catch {
        // already gone
      }
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

const LOCATED = /^(.+)\((\d+),(\d+)\): error TS(\d+): (.*)$/;
const UNLOCATED = /^error TS(\d+): (.*)$/;

/** tsc's errors; a file's path made absolute (tsc prints it relative to its cwd, `root`). */
export function parseTscOutput(stdout: string, root: string): TypeDiagnostic[] {
  const diagnostics: TypeDiagnostic[] = [];
  let message: string[] = [];
  const flush = (): void => {
    const last = diagnostics.at(-1);
    if (last !== undefined && message.length > 0) last.message = oneLine([last.message, ...message].join("\n"));
    message = [];
  };
  for (const line of stdout.split(/\r?\n/)) {
    const located = LOCATED.exec(line);
    const unlocated = located === null ? UNLOCATED.exec(line) : null;
    if (located !== null) {
      flush();
      const [, file = "", lineNumber, column, code, text = ""] = located;
      // TypeScript 7's own libs are `bundled:///libs/…`, no file of the project.
      const path = /^[a-z]+:\/\//i.test(file) ? file : resolve(root, file);
      diagnostics.push({ path, line: Number(lineNumber), column: Number(column), code: Number(code), message: text });
    } else if (unlocated !== null) {
      flush();
      const [, code, text = ""] = unlocated;
      diagnostics.push({ path: undefined, line: 1, column: 1, code: Number(code), message: text });
    } else if (/^\s/.test(line) && line.trim() !== "") {
      message.push(line);
    }
  }
  flush();
  return diagnostics;
}
