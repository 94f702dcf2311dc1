/**
 * The trading example as a real process (the command behind `npm start`,
 * from the sources; examples/trading/cluster/processes.ts): started with an
 * environment, ready once it has printed its URLs, stopped with a signal.
 */
import type { ChildProcess } from "node:child_process";
import { BANNER_END, listeningUrl, spawnExample } from "../../examples/trading/cluster/processes.js";
import { eventually } from "./server.js";

export interface ExampleProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  readonly port: number;
  /** Everything it printed, stdout and stderr. */
  output(): string;
  /** Sends `signal` (if it still runs) and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the example on 127.0.0.1 with `env` over the test's environment (PORT 0 unless given: a free port). */
export async function startExample(env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ExampleProcess> {
  const run = runExample(env);
  const { child } = run;
  await eventually(() => run.output().includes(BANNER_END) || child.exitCode !== null, timeoutMs, "the example to listen");
  const base = listeningUrl(run.output());
  if (base === undefined || !base.startsWith("http://127.0.0.1:")) {
    child.kill("SIGKILL");
    throw new Error(`the example did not start:\n${run.output()}`);
  }
  return {
    child,
    base,
    port: Number(new URL(base).port),
    output: () => run.output(),
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return run.exited;
    },
  };
}

/** The example started with `env` over the test's environment, not waited for: for a start that is meant to fail. */
export function runExample(env: Record<string, string> = {}): {
  child: ChildProcess;
  output: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
} {
  const child = spawnExample({ ...process.env, PORT: "0", HOST: "127.0.0.1", ...env });
  let output = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, stderr: () => stderr, exited };
}
