/**
 * The child processes of the bench orchestrators (bench/fanout/run.ts,
 * bench/recovery/run.ts, bench/cluster/run.ts): Node entries run from
 * source, and redis-server, each pinned to one core with `taskset` so a
 * server and its load client do not take each other's core, and what /proc
 * says of them.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");
export const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

let pinning: boolean | undefined;
/** Whether `taskset` (util-linux) is there; without it, says once that nothing is pinned. */
function canPin(): boolean {
  if (pinning === undefined) {
    try {
      execFileSync("taskset", ["--version"], { stdio: "ignore" });
      pinning = true;
    } catch {
      pinning = false;
      console.error(
        "note: taskset (util-linux) not found, so nothing is pinned: server and load client share every core, and figures are not comparable with pinned runs",
      );
    }
  }
  return pinning;
}

/** `node [flags] --import tsx --conditions=wsgen-source script …args`, on `core` when it can be pinned. */
export function startNode(core: number, script: string, args: readonly string[], nodeFlags: readonly string[] = []): ChildProcess {
  const command = [process.execPath, ...nodeFlags, "--import", "tsx", "--conditions=wsgen-source", script, ...args];
  // taskset execs node, so the child's pid is node's: /proc figures read the right process.
  return canPin() ? spawn("taskset", ["-c", String(core), ...command], { cwd: ROOT }) : spawn(command[0]!, command.slice(1), { cwd: ROOT });
}

/** Moves a running process, every thread of it, to `core` when it can be pinned (redis-server, started by the example's launcher). */
export function pinProcess(core: number, pid: number): void {
  if (canPin()) execFileSync("taskset", ["--all-tasks", "--cpu-list", "--pid", String(core), String(pid)], { stdio: "ignore" });
}

/** Everything a child prints on stdout and stderr, as one growing text. */
export function collectOutput(child: ChildProcess): { readonly text: string } {
  const output = { text: "" };
  const append = (chunk: Buffer): void => void (output.text += chunk.toString());
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  return output;
}

/** Resolves with the first match of `pattern` in the child's output; throws if the child exits first. */
export async function waitForOutput(child: ChildProcess, output: { readonly text: string }, pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(output.text);
    if (match !== null) return match;
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before printing ${String(pattern)}: ${output.text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGTERM (a normal exit for the bench servers, so a CPU profile gets written), then SIGKILL if it does not go. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(killer);
}

/** CPU time the process has used, in clock ticks (utime + stime of /proc/<pid>/stat). */
export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** The process's resident set now (VmRSS of /proc/<pid>/status), in MiB. */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}
