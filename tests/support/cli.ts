/** Runs the wsgen CLI in-process (fast) or as a real process through bin/wsgen.js. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { run } from "../../src/cli/main.js";
import { REPO_ROOT } from "./project.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(cwd: string, args: string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await run(args, cwd, { out: (text) => stdout.push(text), err: (text) => stderr.push(text), color: false });
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

export function spawnCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/wsgen.js"), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
