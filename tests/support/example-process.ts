/**
 * The trading example as a real process (the command behind `npm start`,
 * from the sources): started with an environment, ready once it has printed
 * its URLs, stopped with a signal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { REPO_ROOT } from "./project.js";
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
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "examples/trading/src/main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The banner ends with the metrics URL: the server listens and has said where.
  await eventually(() => output.includes("Prometheus metrics") || child.exitCode !== null, timeoutMs, "the example to listen");
  const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
  if (match === null) {
    child.kill("SIGKILL");
    throw new Error(`the example did not start:\n${output}`);
  }
  return {
    child,
    base: match[1] as string,
    port: Number(match[2]),
    output: () => output,
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
