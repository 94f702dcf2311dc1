/**
 * The pieces of a local cluster of the example that `npm run start:cluster`
 * and the tests share: free ports, and the command that runs one example
 * process from the sources (the command behind `npm start`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the example runs from there (tsx and the `wsgen-source` condition resolve from it). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

/** A port free right now on `host`. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether `port` can be listened on at `host` right now. */
export async function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (free) await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

/** One example process (examples/trading/src/main.ts) with exactly `env`, its stdout and stderr piped. */
export function spawnExample(env: NodeJS.ProcessEnv, options: { detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "examples/trading/src/main.ts"], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
}

/** The last line of the example's startup banner: once it is out, the process listens and has said where. */
export const BANNER_END = "Prometheus metrics";

/** The URL in the banner's `listening on …` line, if `output` holds it. */
export function listeningUrl(output: string): string | undefined {
  return /listening on (http:\/\/\S+)/.exec(output)?.[1];
}
