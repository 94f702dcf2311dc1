/**
 * `npm run start:cluster` (examples/trading/cluster/start-cluster.ts) as a
 * user runs it, without the `npm run generate` before it: one command that
 * starts a redis-server and example processes sharing it, prefixes their
 * output, takes a free port for one that is taken, stops everything on
 * SIGTERM with exit 0, and everything with exit 1 when one process dies.
 */
import { spawn } from "node:child_process";
import { createServer, type AddressInfo, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually } from "./support/server.js";

interface Cluster {
  output(): string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

const running: Cluster[] = [];
afterEach(async () => {
  for (const cluster of running.splice(0)) {
    cluster.kill("SIGKILL");
    await cluster.exited;
  }
});

function startCluster(args: string[]): Cluster {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: "127.0.0.1", NO_COLOR: "1", TICK_MS: "50" };
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ["--import", "tsx", "examples/trading/cluster/start-cluster.ts", ...args], { cwd: REPO_ROOT, env });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const cluster: Cluster = {
    output: () => output,
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
    kill: (signal) => void child.kill(signal),
  };
  running.push(cluster);
  return cluster;
}

const ready = (cluster: Cluster): Promise<void> =>
  eventually(() => cluster.output().includes("side by side") || cluster.output().includes("stopped"), 90_000, "the cluster to listen");

/** Every `started PORT (pid N)` line: the example processes, by port. */
const members = (output: string): Map<number, number> =>
  new Map([...output.matchAll(/\[cluster\] +started (\d+) \(pid (\d+)\)/g)].map((match) => [Number(match[1]), Number(match[2])]));

const redisPid = (output: string): number => Number(/redis-server on redis:\/\/\S+ \(pid (\d+)\)/.exec(output)?.[1]);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function listening(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

describe("npm run start:cluster", () => {
  it("starts Redis and processes that serve as one, prefixes their output, and stops them all on SIGTERM with exit 0", async () => {
    const blocker = await listening();
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const cluster = startCluster([String(taken), "0"]);
      await ready(cluster);
      const output = cluster.output();
      expect(output).toContain(`port ${taken} is taken: using `);
      const ports = [...members(output).keys()];
      expect(ports).toHaveLength(2);
      expect(ports).not.toContain(taken);
      for (const port of ports) {
        expect(output).toMatch(new RegExp(`^\\[${port}\\] +listening on http://127\\.0\\.0\\.1:${port}$`, "m"));
        expect(output).toMatch(new RegExp(`^\\[${port}\\] +  scale-out on: topics shared through redis://127\\.0\\.0\\.1:`, "m"));
      }
      expect(output).toMatch(/^\[redis\] +.*Ready to accept connections/m);

      // One service: an order placed on the first process reaches a subscriber of the second.
      const [first, second] = ports as [number, number];
      const client = await TestClient.connect(`ws://127.0.0.1:${second}/api/v1/broker/ws`);
      expect((await client.subscribe("orders", { accountId: "SC-1" })).payload).toMatchObject({ status: "ok" });
      const placed = await fetch(`http://127.0.0.1:${first}/api/v1/broker/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ accountId: "SC-1", symbol: "AAPL", side: "buy", type: "market", qty: 1 }),
      });
      const { id } = (await placed.json()) as { id: string };
      expect((await client.next((frame) => frame.type === "orders.update", 10_000)).payload.payload.id).toBe(id);

      const pids = [...members(output).values(), redisPid(output)];
      cluster.kill("SIGTERM");
      expect(await cluster.exited).toBe(0);
      expect((await client.closed).code).toBe(1001);
      for (const port of ports) expect(cluster.output()).toMatch(new RegExp(`^\\[${port}\\] +closed cleanly$`, "m"));
      expect(cluster.output()).toContain("redis-server stopped");
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    } finally {
      blocker.close();
    }
  }, 120_000);

  it("stops everything and exits 1 when one process dies", async () => {
    const cluster = startCluster(["0", "0"]);
    await ready(cluster);
    const [[victimPort, victim], [, survivor]] = [...members(cluster.output())] as [[number, number], [number, number]];
    const redis = redisPid(cluster.output());
    process.kill(victim, "SIGKILL");
    expect(await cluster.exited).toBe(1);
    expect(cluster.output()).toContain(`${victimPort} exited (SIGKILL): stopping the others`);
    await eventually(() => !alive(survivor) && !alive(redis), 5_000, "the others to be gone");
  }, 120_000);

  it("refuses an argument that is not a port with exit 2", async () => {
    const cluster = startCluster(["8000", "eighty"]);
    expect(await cluster.exited).toBe(2);
    expect(cluster.output()).toContain('"eighty" is not a port number');
  }, 30_000);
});
