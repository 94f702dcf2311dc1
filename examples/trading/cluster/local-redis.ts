/**
 * A local redis-server for `npm run start:cluster` and the tests: on a free
 * TCP port of 127.0.0.1 (or the one asked for), with persistence off (no
 * RDB, no AOF, a private temporary directory), gone with `stop()`.
 * `restart()` brings it back on the same port with nothing in it, as a Redis
 * without persistence comes back from a crash. redis-server comes from the
 * system (Debian: apt-get install redis-server; scripts/system-packages.sh).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./processes.js";

export interface LocalRedisOptions {
  /** The port to listen on. @default a free one */
  port?: number;
  /** Everything redis-server prints, as it comes. @default dropped */
  onOutput?: (text: string) => void;
  /** Runs it in its own process group, so that a Ctrl-C in the terminal does not reach it (its owner stops it). @default false */
  detached?: boolean;
  /** Called when redis-server exits other than by `restart()` or `stop()`. @default nothing */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface LocalRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** The running redis-server's process id (undefined while it is down). */
  readonly pid: number | undefined;
  /** Kills the server (SIGKILL: no shutdown save) and starts it again, empty, on the same port. */
  restart(downMs?: number): Promise<void>;
  /** Kills it, waits until it has exited and removes its directory. */
  stop(): Promise<void>;
}

/** How long redis-server may take to say it is ready. */
const READY_TIMEOUT_MS = 10_000;

export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), "wsgen-redis-"));
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = await launch(port, dir, options);
    child = started;
    // An exit nobody asked for: restart() and stop() clear `child` before they kill it.
    started.once("exit", (code, signal) => {
      if (child === started) options.onExit?.(code, signal);
    });
  };
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    async restart(downMs = 0) {
      await kill();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(port: number, dir: string, { onOutput, detached = false }: LocalRedisOptions): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no"],
    { stdio: ["ignore", "pipe", "pipe"], detached },
  );
  // Kept until it is ready, for the error that says why it did not get there.
  let output = "";
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString();
    if (output.length < 64 * 1024) output += text;
    onOutput?.(text);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port} within 10 s:\n${output}`)), READY_TIMEOUT_MS);
      const onData = (): void => {
        if (!output.includes("Ready to accept connections")) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout?.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`redis-server could not be started (${error.message}); install it: apt-get install redis-server`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  output = "";
  return child;
}
