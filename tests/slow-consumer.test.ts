/**
 * A client that completes the handshake, subscribes and never reads, on a
 * topic publishing 10,000 msg/s, against a server in its own process: it is
 * closed with 1013 (or, by option, starved) while a normal client on the same
 * topic receives every update in order, and the server's RSS stays bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { rawConnect } from "./support/raw-client.js";
import { eventually } from "./support/server.js";

/** The stated bound: the server stays under this RSS whatever the stalled client does. */
const RSS_BOUND = 250 * 1024 * 1024;

let server: ChildProcess | undefined;
afterEach(() => {
  server?.kill("SIGKILL");
  server = undefined;
});

/** What GET /stats answers: the app's stats and the server's RSS. */
type FloodStats = {
  rss: number;
  modules: {
    feed: { slowConsumerCloses: number; framesDropped: number; connections: number; routes: { ticks: { updatesDropped: number } } };
  };
};

async function startFloodServer(policy: "close" | "drop"): Promise<{ port: number; stats: () => Promise<FloodStats> }> {
  server = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "tests/support/flood-server.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, SLOW_CONSUMER: policy },
  });
  let output = "";
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => /port \d+/.test(output), 20_000, "flood server");
  const port = Number(/port (\d+)/.exec(output)![1]);
  return { port, stats: async () => (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as FloodStats };
}

describe.each(["close", "drop"] as const)("slow consumer, policy %s", (policy) => {
  it("keeps the normal client whole and the server's memory bounded", async () => {
    const { port, stats } = await startFloodServer(policy);
    const healthy = await TestClient.connect(`ws://127.0.0.1:${port}/api/v1/feed/ws`);
    let expected = 1;
    let gaps = 0;
    let received = 0;
    healthy.socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; payload: { payload: { seq: number } } };
      if (frame.type !== "ticks.update") return;
      if (frame.payload.payload.seq !== expected) gaps += 1;
      expected = frame.payload.payload.seq + 1;
      received += 1;
    });
    await healthy.subscribe("ticks", { name: "t" });
    const stalled = await rawConnect(port, "/api/v1/feed/ws");
    stalled.sendText(JSON.stringify({ type: "ticks.subscribe", payload: { name: "t" } }));
    stalled.socket.pause(); // never reads again

    await eventually(() => received > 20_000, 20_000, "20,000 updates at the healthy client");
    const during = await stats();
    if (policy === "close") {
      expect(during.modules.feed.slowConsumerCloses).toBe(1);
    } else {
      expect(during.modules.feed.framesDropped).toBeGreaterThan(0);
      expect(during.modules.feed.connections).toBe(2);
    }
    expect(gaps).toBe(0);
    expect(during.modules.feed.routes.ticks.updatesDropped).toBe(0);
    expect(during.rss).toBeLessThan(RSS_BOUND);
    stalled.socket.destroy();
  }, 40_000);
});
