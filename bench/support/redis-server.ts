/**
 * A real redis-server for a test or a bench: on a free TCP port of
 * 127.0.0.1, with persistence off (no RDB, no AOF, a private temporary
 * directory), stopped with the test or the measurement. `restart()` brings
 * it back on the same port with nothing in it, as a Redis without
 * persistence comes back from a crash. A bench pins it to a core (`core`),
 * and reads its CPU time from /proc (`pid`).
 * redis-server comes from Debian's apt (scripts/system-packages.sh installs it).
 * tests/support/redis-server.ts re-exports it for the tests.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { spawnPinned } from "./processes.js";

/** A plain node-redis client on the test server. */
export type AdminClient = ReturnType<typeof adminClient>;

function adminClient(url: string) {
  return createClient({ url, socket: { reconnectStrategy: () => 100 } });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The running server's process id (changes with `restart()`). */
  readonly pid: number;
  /** A plain client for the test's own checks (PUBSUB, CLIENT KILL, INFO, MONITOR…). */
  admin(): Promise<AdminClient>;
  /** Kills the server (SIGKILL: no shutdown save) and starts it again, empty, on the same port. */
  restart(downMs?: number): Promise<void>;
  /** Kills it and waits until it has exited. */
  stop(): Promise<void>;
}

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `core`: pin the server to that core (taskset), as the benches do; unpinned by default. */
export async function startRedisServer({ core }: { core?: number } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "wsgen-redis-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined = await launch(port, dir, core);
  const clients: AdminClient[] = [];

  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  };

  return {
    port,
    url,
    get pid() {
      return child?.pid ?? Number.NaN;
    },
    async admin() {
      const client = adminClient(url);
      client.on("error", () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
    async restart(downMs = 0) {
      await kill();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      child = await launch(port, dir, core);
    },
    async stop() {
      for (const client of clients.splice(0)) client.destroy();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(port: number, dir: string, core: number | undefined): Promise<ChildProcess> {
  const child = spawnPinned(
    core,
    [
      "redis-server",
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port} within 10 s:\n${output}`)), 10_000);
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
  return child;
}
