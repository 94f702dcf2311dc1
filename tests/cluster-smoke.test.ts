/**
 * Scale-out, in one test process (fast, for the details): several apps,
 * each with its own redisBroker (its own connections and node id, as
 * separate processes would have), on one real redis-server. The same
 * promises across real processes are in cluster-processes.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LiveTopics, WsgenError } from "wsgen";
import { redisBroker, type RedisBroker } from "wsgen/redis";
import { TestClient } from "./support/client.js";
import { Bar, BarSubscriptionRequest, BarWsRouter, bar } from "./support/fixtures.js";
import { freePort, startRedisServer, type RedisServer } from "./support/redis-server.js";
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
  route: BarWsRouter;
  created: string[];
  removed: string[];
  /** Stops ticking updates of its topics (as a process that died would). */
  live: Map<string, NodeJS.Timeout>;
}
let nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes) {
    for (const timer of node.live.values()) clearInterval(timer);
    await node.running.stop().catch(() => undefined);
    await node.broker.close();
  }
  nodes = [];
  const admin = await redis.admin();
  await admin.flushAll();
});

const REQUEST = { symbol: "AAPL", resolution: "1D" };

/** A node whose service, when `tickMs` is set, publishes a bar every tickMs while it produces a topic. */
async function startNode(
  options: { tickMs?: number; failCreate?: boolean; createDelayMs?: number; producer?: "cluster" | "everywhere" } = {},
): Promise<Node> {
  const broker = await redisBroker({ url: redis.url, leaseMs: 600, tickMs: 100, log: () => undefined });
  const created: string[] = [];
  const removed: string[] = [];
  const live = new Map<string, NodeJS.Timeout>();
  let close = 0;
  const service = new LiveTopics<BarSubscriptionRequest, Bar>({
    onCreate: async (topic) => {
      created.push(topic.topic);
      if (options.createDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.createDelayMs));
      if (options.failCreate === true) throw new Error("upstream refused");
      if (options.tickMs !== undefined)
        live.set(
          topic.topic,
          setInterval(() => topic.update(bar((close += 1))), options.tickMs),
        );
    },
    onRemove: (topic) => {
      removed.push(topic.topic);
      clearInterval(live.get(topic.topic));
      live.delete(topic.topic);
    },
  });
  const route = new BarWsRouter({ route: "bars", service, historySize: 1000, historyMaxBytes: 1 << 20, producer: options.producer });
  const running = await startApp({
    modules: [{ name: "datafeed", routes: [route] }],
    heartbeatInterval: 0,
    broker,
    onError: () => undefined,
  });
  const node = { running, broker, route, created, removed, live };
  nodes.push(node);
  return node;
}

type Seen = { close: number; seq: number; epoch: string };
const updates = (client: TestClient): Seen[] =>
  client.frames
    .filter((frame) => frame.type === "bars.update")
    .map((frame) => ({
      close: frame.payload.payload.close as number,
      seq: frame.payload.seq as number,
      epoch: frame.payload.epoch as string,
    }));

/** Within one epoch, seqs that only go up by one: no silent gap, no duplicate. */
function expectContiguousPerEpoch(seen: Seen[]): void {
  for (let i = 1; i < seen.length; i++) {
    if (seen[i]!.epoch === seen[i - 1]!.epoch) expect(seen[i]!.seq, `after ${JSON.stringify(seen[i - 1])}`).toBe(seen[i - 1]!.seq + 1);
  }
}

async function subscribed(node: Node): Promise<TestClient> {
  const client = await TestClient.connect(node.running.wsUrl("datafeed"));
  const response = await client.subscribe("bars", { symbol: "AAPL" });
  expect(response.payload).toMatchObject({ status: "ok" });
  return client;
}

const producers = (): Node[] => nodes.filter((node) => node.created.length > node.removed.length);

describe("redisBroker, several apps on one Redis", () => {
  it("reaches subscribers on every process with the same seq and epoch; createTopic once, removeTopic once", async () => {
    const [a, b, c] = [await startNode(), await startNode(), await startNode()];
    const [ca, cb] = [await subscribed(a), await subscribed(b)];
    expect(a.created.length + b.created.length + c.created.length).toBe(1);
    for (let i = 1; i <= 20; i++) {
      expect(await [a, b, c][i % 3]!.route.publish(REQUEST, bar(i))).toEqual({ status: "accepted" });
    }
    await eventually(() => updates(ca).length === 20 && updates(cb).length === 20, 5_000, "20 updates on both");
    expect(updates(ca)).toEqual(updates(cb));
    expect(updates(ca).map((u) => u.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Interest routing: only the two processes with subscribers are on the topic's channel.
    const admin = await redis.admin();
    const channels = await admin.sendCommand<string[]>(["PUBSUB", "SHARDCHANNELS", "*:c"]);
    expect(channels).toHaveLength(1);
    expect(await admin.sendCommand(["PUBSUB", "SHARDNUMSUB", channels[0]!])).toEqual([channels[0], 2]);
    await Promise.all([ca.close(), cb.close()]);
    await eventually(() => a.removed.length + b.removed.length + c.removed.length === 1, 5_000, "one removeTopic");
    expect(await c.route.publish(REQUEST, bar(99))).toEqual({ status: "not_live" });
    expect(a.created.length + b.created.length + c.created.length).toBe(1);
  });

  it("a subscriber on another process waits for the producer's createTopic, and is refused when it fails", async () => {
    const slow = await startNode({ createDelayMs: 300, failCreate: true });
    const other = await startNode();
    const first = await TestClient.connect(slow.running.wsUrl("datafeed"));
    const pending = first.subscribe("bars", { symbol: "AAPL" });
    await eventually(() => slow.created.length === 1, 2_000, "createTopic started");
    const second = await TestClient.connect(other.running.wsUrl("datafeed"));
    const refused = await second.subscribe("bars", { symbol: "AAPL" });
    expect((await pending).payload).toMatchObject({ status: "error", code: "subscription_refused" });
    expect(refused.payload).toMatchObject({ status: "error", code: "subscription_refused" });
    expect(JSON.stringify(refused.payload)).toContain("upstream refused");
    expect(other.created).toEqual([]);
    // Nothing is left behind: the next subscribe starts a new producer.
    await eventually(() => other.route.stats().broker?.feeds === 0, 2_000, "the refused feed closed");
  });

  it("a producer that stops renewing its lease is replaced, with a new epoch: never a same-epoch gap", async () => {
    const [a, b] = [await startNode({ tickMs: 20 }), await startNode({ tickMs: 20 })];
    const [ca, cb] = [await subscribed(a), await subscribed(b)];
    await eventually(() => updates(cb).length >= 5, 3_000, "updates flowing");
    const [producer] = producers();
    const survivor = producer === a ? b : a;
    const client = producer === a ? cb : ca;
    const before = updates(client).at(-1)!;
    // A stall: the producer's broker stops ticking (its lease lapses) while its service keeps publishing.
    await producer!.broker.close();
    await eventually(() => survivor.created.length === 1, 3_000, "a takeover");

    await eventually(() => updates(client).some((u) => u.epoch !== before.epoch), 3_000, "the new producer's updates");
    const seen = updates(client);
    expectContiguousPerEpoch(seen);
    // The new epoch is the explicit reset; every update of it comes from the survivor's run.
    expect(new Set(seen.map((u) => u.epoch)).size).toBe(2);
  });

  it("recovers from CLIENT KILL TYPE pubsub without losing an update", async () => {
    const [a, b] = [await startNode({ tickMs: 5 }), await startNode()];
    const [ca, cb] = [await subscribed(a), await subscribed(b)];
    await eventually(() => updates(cb).length >= 20, 3_000, "updates flowing");
    const admin = await redis.admin();
    await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
    const count = updates(cb).length;
    await eventually(() => updates(cb).length >= count + 50 && updates(ca).length >= count + 50, 5_000, "updates after the kill");
    expect(b.broker.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(b.broker.stats().routes.feedResyncs).toBeGreaterThanOrEqual(1);
    for (const client of [ca, cb]) {
      const seen = updates(client);
      expect(new Set(seen.map((u) => u.epoch)).size).toBe(1);
      expectContiguousPerEpoch(seen);
    }
  });

  it("after a Redis restart (keys gone), a new producer runs and subscribers see a new epoch", async () => {
    const [a, b] = [await startNode({ tickMs: 20 }), await startNode({ tickMs: 20 })];
    const [ca, cb] = [await subscribed(a), await subscribed(b)];
    await eventually(() => updates(cb).length >= 5, 3_000, "updates flowing");
    const epoch = updates(cb).at(-1)!.epoch;
    await redis.restart(300);
    for (const client of [ca, cb]) await eventually(() => updates(client).at(-1)!.epoch !== epoch, 8_000, "a new epoch");
    await eventually(() => producers().length === 1, 5_000, "one producer again");
    expect(await a.route.publish(REQUEST, bar(1000))).toEqual({ status: "accepted" });
    for (const client of [ca, cb]) expectContiguousPerEpoch(updates(client));
  });

  it("a client of one process resumes on another with since, recovering exactly what it missed", async () => {
    const [a, b] = [await startNode(), await startNode()];
    const [ca, cb] = [await subscribed(a), await subscribed(b)];
    for (let i = 1; i <= 5; i++) await a.route.publish(REQUEST, bar(i));
    await eventually(() => updates(ca).length === 5, 3_000, "5 updates");
    const last = updates(ca).at(-1)!;
    await ca.close();
    for (let i = 6; i <= 10; i++) await b.route.publish(REQUEST, bar(i));
    await eventually(() => updates(cb).length === 10, 3_000, "10 updates on b");
    const moved = await TestClient.connect(b.running.wsUrl("datafeed"));
    const response = await moved.subscribeSince("bars", { symbol: "AAPL" }, { epoch: last.epoch, seq: last.seq });
    expect(response.payload).toMatchObject({ status: "ok", recovered: true, seq: 10 });
    await eventually(() => updates(moved).length === 5, 3_000, "the replay");
    expect(updates(moved).map((u) => u.close)).toEqual([6, 7, 8, 9, 10]);
  });

  it("hands a topic over with its stream when the producing process closes while others hold it", async () => {
    const [a, b] = [await startNode({ tickMs: 20 }), await startNode({ tickMs: 20 })];
    await Promise.all([subscribed(a), subscribed(b)]);
    const [producer] = producers();
    const survivor = producer === a ? b : a;
    const client = await subscribed(survivor);
    await eventually(() => updates(client).length >= 3, 3_000, "updates flowing");
    await producer!.running.stop();
    await eventually(() => survivor.created.length === 1, 3_000, "the handover");
    const count = updates(client).length;
    await eventually(() => updates(client).length >= count + 3, 3_000, "updates after the handover");
    expect(new Set(updates(client).map((u) => u.epoch)).size).toBe(1);
    expectContiguousPerEpoch(updates(client));
  });

  it('producer: "everywhere" keeps a route per process: each runs its own createTopic, and publish reaches its own subscribers', async () => {
    const [a, b] = [await startNode({ producer: "everywhere" }), await startNode({ producer: "everywhere" })];
    const [ca, cb] = [await subscribed(a), await subscribed(b)];
    expect([a.created.length, b.created.length]).toEqual([1, 1]);
    expect(await a.route.publish(REQUEST, bar(1))).toEqual({ status: "accepted" });
    await eventually(() => updates(ca).length === 1, 2_000, "a's own update");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(updates(cb)).toEqual([]);
    expect(a.route.stats().broker).toBeUndefined();
    const admin = await redis.admin();
    expect(await admin.dbSize()).toBe(0);
  });

  it("rejects ERR_BROKER_UNAVAILABLE naming the URL when Redis cannot be reached at start", async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await redisBroker({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500, log: () => undefined }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WsgenError);
    expect(error).toMatchObject({ code: "ERR_BROKER_UNAVAILABLE" });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
