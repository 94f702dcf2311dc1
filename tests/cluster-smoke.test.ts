/**
 * Scale-out, in one process (fast, for the details): three apps, each with
 * its own redisBroker (its own connections and node id, as three processes
 * would have), on one real redis-server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LiveTopics } from "wsgen";
import { redisBroker, type RedisBroker } from "wsgen/redis";
import { TestClient } from "./support/client.js";
import { Bar, BarSubscriptionRequest, BarWsRouter, bar } from "./support/fixtures.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

interface Node {
  running: RunningApp;
  broker: RedisBroker;
  service: LiveTopics<BarSubscriptionRequest, Bar>;
  route: BarWsRouter;
  created: string[];
  removed: string[];
}
let nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes) {
    await node.running.stop();
    await node.broker.close();
  }
  nodes = [];
  const admin = await redis.admin();
  await admin.flushAll();
});

async function startNode(): Promise<Node> {
  const broker = await redisBroker({ url: redis.url, leaseMs: 1_000, tickMs: 100, log: () => undefined });
  const created: string[] = [];
  const removed: string[] = [];
  const service = new LiveTopics<BarSubscriptionRequest, Bar>({
    onCreate: (live) => void created.push(live.topic),
    onRemove: (live) => void removed.push(live.topic),
  });
  const route = new BarWsRouter({ route: "bars", service });
  const running = await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0, broker });
  const node = { running, broker, service, route, created, removed };
  nodes.push(node);
  return node;
}

const updates = (client: TestClient) =>
  client.frames
    .filter((frame) => frame.type === "bars.update")
    .map((frame) => ({
      close: frame.payload.payload.close as number,
      seq: frame.payload.seq as number,
      epoch: frame.payload.epoch as string,
    }));

describe("redisBroker", () => {
  it("reaches subscribers on every process with the same seq and epoch; createTopic runs once", async () => {
    const [a, b, c] = [await startNode(), await startNode(), await startNode()];
    const ca = await TestClient.connect(a.running.wsUrl("datafeed"));
    const cb = await TestClient.connect(b.running.wsUrl("datafeed"));
    const ra = await ca.subscribe("bars", { symbol: "AAPL" });
    const rb = await cb.subscribe("bars", { symbol: "AAPL" });
    expect(ra.payload).toMatchObject({ status: "ok" });
    expect(rb.payload).toMatchObject({ status: "ok" });
    expect(a.created.length + b.created.length + c.created.length).toBe(1);
    for (let i = 1; i <= 20; i++) {
      const from = [a, b, c][i % 3]!;
      expect(await from.route.publish({ symbol: "AAPL", resolution: "1D" }, bar(i))).toEqual({ status: "accepted" });
    }
    await eventually(() => updates(ca).length === 20 && updates(cb).length === 20, 5_000, "20 updates on both");
    expect(updates(ca)).toEqual(updates(cb));
    expect(updates(ca).map((u) => u.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await Promise.all([ca.close(), cb.close()]);
    await eventually(() => a.removed.length + b.removed.length + c.removed.length === 1, 5_000, "one removeTopic");
    expect(await c.route.publish({ symbol: "AAPL", resolution: "1D" }, bar(99))).toEqual({ status: "not_live" });
  });
});
