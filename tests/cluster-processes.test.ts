/**
 * Scale-out across real processes: three or more wsgen processes
 * (tests/support/cluster-node.ts, each its own Node process) on one real
 * redis-server, real sockets. What issue 13 asks to be shown: one order of
 * updates everywhere and interest routing counted on the Redis side, one
 * createTopic and one removeTopic cluster-wide, a SIGKILLed or SIGSTOPped
 * producer replaced (its late updates refused), Redis faults, and a client
 * of a killed process resuming on another.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";
import { eventually } from "./support/server.js";

/** The nodes' lease and tick (tests/support/cluster-node.ts). */
const LEASE_MS = 1_000;
const TICK_MS = 200;

interface NodeEvent {
  pid: number;
  event: "create" | "remove" | "error" | "log";
  level?: "warn" | "info";
  topic?: string;
  code?: string;
  message?: string;
}

class ClusterNode {
  readonly events: NodeEvent[] = [];
  port = 0;
  output = "";
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let pending = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith("port ")) this.port = Number(line.slice(5));
        else if (line.startsWith("{")) this.events.push(JSON.parse(line) as NodeEvent);
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/api/v1/datafeed/ws`;
  }

  count(event: "create" | "remove", topic: string): number {
    return this.events.filter((e) => e.event === event && e.topic === topic).length;
  }

  async publish(symbol: string, close: number): Promise<unknown> {
    const response = await fetch(`http://127.0.0.1:${this.port}/publish`, { method: "POST", body: JSON.stringify({ symbol, close }) });
    return response.json();
  }

  async stats(): Promise<{ broker: { routes: Record<string, number> } }> {
    return (await (await fetch(`http://127.0.0.1:${this.port}/stats`)).json()) as { broker: { routes: Record<string, number> } };
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill(signal);
    await exited;
  }
}

let redis: RedisServer;
const nodes: ClusterNode[] = [];

async function startNode(name: string, tickMs = 0): Promise<ClusterNode> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "tests/support/cluster-node.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, REDIS_URL: redis.url, NODE_NAME: name, TICK_MS: String(tickMs) },
  });
  const node = new ClusterNode(name, child);
  nodes.push(node);
  await eventually(() => node.port > 0 || child.exitCode !== null, 30_000, `${name} listening`);
  expect(node.port, node.output).toBeGreaterThan(0);
  return node;
}

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.kill()));
  await redis.stop();
});

type Seen = { close: number; seq: number; epoch: string; pid: number };
const updates = (client: TestClient, symbol: string): Seen[] =>
  client.frames
    .filter((frame) => frame.type === "bars.update" && (frame.payload.topic as string).includes(`"${symbol}"`))
    .map((frame) => ({
      close: frame.payload.payload.close as number,
      seq: frame.payload.seq as number,
      epoch: frame.payload.epoch as string,
      pid: frame.payload.payload.volume as number,
    }));

/** Within one epoch, seqs only go up by one: no silent gap, no duplicate. */
function expectContiguousPerEpoch(seen: Seen[]): void {
  for (let i = 1; i < seen.length; i++) {
    if (seen[i]!.epoch === seen[i - 1]!.epoch) expect(seen[i]!.seq, `after ${JSON.stringify(seen[i - 1])}`).toBe(seen[i - 1]!.seq + 1);
  }
}

async function subscriber(node: ClusterNode, symbol: string): Promise<TestClient> {
  const client = await TestClient.connect(node.wsUrl);
  const response = await client.subscribe("bars", { symbol });
  expect(response.payload).toMatchObject({ status: "ok" });
  return client;
}

const topicOf = (symbol: string): string => `bars:{"resolution":"1D","symbol":"${symbol}"}`;
const creates = (symbol: string): number => nodes.reduce((sum, node) => sum + node.count("create", topicOf(symbol)), 0);
const removes = (symbol: string): number => nodes.reduce((sum, node) => sum + node.count("remove", topicOf(symbol)), 0);
/** The live node that ran createTopic of `symbol` last and has not removed it. */
const producerOf = (symbol: string): ClusterNode | undefined =>
  nodes.find((node) => node.child.exitCode === null && node.count("create", topicOf(symbol)) > node.count("remove", topicOf(symbol)));

describe("several wsgen processes on one Redis", () => {
  let a: ClusterNode, b: ClusterNode, c: ClusterNode;
  beforeAll(async () => {
    [a, b, c] = await Promise.all([startNode("a", 20), startNode("b", 20), startNode("c", 20)]);
  }, 60_000);

  it("an update published on any process reaches every subscriber in the same order; a process without subscribers gets none of it", async () => {
    const [ca, cb] = [await subscriber(a, "S1"), await subscriber(b, "S1")];
    const admin = await redis.admin();
    const monitor = await redis.admin();
    const seenByMonitor: string[] = [];
    await monitor.monitor((line) => seenByMonitor.push(line));
    for (let i = 1; i <= 30; i++) expect(await [a, b, c][i % 3]!.publish("S1", 10_000 + i)).toEqual({ status: "accepted" });
    await eventually(() => updates(ca, "S1").filter((u) => u.close > 10_000).length === 30, 5_000, "30 published on a");
    await eventually(() => updates(cb, "S1").filter((u) => u.close > 10_000).length === 30, 5_000, "30 published on b");
    monitor.destroy();
    // The same updates at the same positions on both processes (the producer's ticks interleaved with the published ones).
    const common = Math.min(updates(ca, "S1").length, updates(cb, "S1").length);
    expect(updates(ca, "S1").slice(0, common)).toEqual(updates(cb, "S1").slice(0, common));
    expectContiguousPerEpoch(updates(ca, "S1"));
    // Counted on the Redis side: two shard subscribers of the topic's channel, and c's pub/sub connection holds none.
    const channel = (await admin.sendCommand<string[]>(["PUBSUB", "SHARDCHANNELS", "*:c"]))[0]!;
    expect(await admin.sendCommand(["PUBSUB", "SHARDNUMSUB", channel])).toEqual([channel, 2]);
    const clients = await admin.sendCommand<string>(["CLIENT", "LIST"]);
    const cPubsub = clients.split("\n").find((line) => line.includes("name=wsgen:c/") && line.includes(":pubsub"));
    expect(cPubsub, clients).toMatch(/ ssub=0 /);
    // One publish path per update: one script call and one SPUBLISH from the publishing process, none per subscriber.
    expect(seenByMonitor.filter((line) => line.includes('"SSUBSCRIBE"') && line.includes(channel))).toEqual([]);
    await Promise.all([ca.close(), cb.close()]);
  });

  it("100 clients subscribing at once over three processes: createTopic once cluster-wide; all leave: removeTopic once", async () => {
    const clients = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const client = await TestClient.connect([a, b, c][i % 3]!.wsUrl);
        return { client, response: client.subscribe("bars", { symbol: "S2" }) };
      }),
    );
    for (const { response } of clients) expect((await response).payload).toMatchObject({ status: "ok" });
    expect(creates("S2")).toBe(1);
    await Promise.all(clients.map(({ client }) => client.close()));
    await eventually(() => removes("S2") === 1, 5_000, "one removeTopic");
    await new Promise((resolve) => setTimeout(resolve, 3 * TICK_MS));
    expect([creates("S2"), removes("S2")]).toEqual([1, 1]);
  });

  it("SIGKILL of the producer: another process produces, its subscribers keep their subscriptions and see an explicit reset", async () => {
    const clients = [await subscriber(a, "S3"), await subscriber(b, "S3"), await subscriber(c, "S3")];
    await eventually(() => clients.every((client) => updates(client, "S3").length >= 5), 10_000, "updates flowing");
    const producer = producerOf("S3")!;
    const survivors = clients.filter((_, i) => [a, b, c][i] !== producer);
    const before = creates("S3");
    const epochs = survivors.map((client) => updates(client, "S3").at(-1)!.epoch);
    await producer.kill("SIGKILL");
    // A liveness bound; how soon (within leaseMs + tickMs: median 974 ms, max 1,083 ms over 20 kills) is bench:cluster --failover's figure.
    await eventually(() => creates("S3") > before, 10_000, "a new producer");
    for (const [i, client] of survivors.entries()) {
      await eventually(() => updates(client, "S3").at(-1)!.epoch !== epochs[i], 5_000, "the new producer's updates");
      expectContiguousPerEpoch(updates(client, "S3"));
      expect(client.frames.some((frame) => frame.type === "bars.subscribe.response")).toBe(false);
    }
    const replacement = nodes.indexOf(producer);
    nodes[replacement] = await startNode(producer.name, 20);
    [a, b, c] = nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null).slice(-3) as [
      ClusterNode,
      ClusterNode,
      ClusterNode,
    ];
    await Promise.all(survivors.map((client) => client.close()));
  }, 30_000);

  it("SIGSTOP of the producer past its lease, then SIGCONT: its updates are refused and it stops producing", async () => {
    const clients = [await subscriber(a, "S4"), await subscriber(b, "S4"), await subscriber(c, "S4")];
    await eventually(() => clients.every((client) => updates(client, "S4").length >= 5), 10_000, "updates flowing");
    const producer = producerOf("S4")!;
    const watcher = clients[[a, b, c].indexOf(producer) === 0 ? 1 : 0]!;
    const before = creates("S4");
    producer.child.kill("SIGSTOP");
    try {
      // A liveness bound (the takeover time itself is measured by bench:cluster --failover, not asserted here).
      await eventually(() => creates("S4") > before, 10_000, "a takeover during the stop");
      await new Promise((resolve) => setTimeout(resolve, 2.5 * LEASE_MS - LEASE_MS));
    } finally {
      // Never left stopped: the next tests share these processes.
      producer.child.kill("SIGCONT");
    }
    await eventually(() => producer.count("remove", topicOf("S4")) === 1, 5_000, "the deposed producer removes its topic");
    // Said once per burst of deposed producers, a second after the first.
    await eventually(
      () => producer.events.some((e) => e.event === "error" && e.code === "ERR_PRODUCER_DEPOSED"),
      3_000,
      "the deposed report",
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    // After the new producer's first update, nothing from the stopped one reaches anybody.
    const seen = updates(watcher, "S4");
    const firstNew = seen.findIndex((u) => u.pid !== producer.pid);
    expect(firstNew).toBeGreaterThan(0);
    expect(seen.slice(firstNew).filter((u) => u.pid === producer.pid)).toEqual([]);
    expectContiguousPerEpoch(seen);
    await Promise.all(clients.map((client) => client.close()));
  }, 30_000);

  it("CLIENT KILL TYPE pubsub and a Redis restart: processes recover, and clients are told when something was lost", async () => {
    const [ca, cb] = [await subscriber(a, "S5"), await subscriber(b, "S5")];
    await eventually(() => updates(cb, "S5").length >= 5, 10_000, "updates flowing");
    const admin = await redis.admin();
    await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
    let count = updates(cb, "S5").length;
    await eventually(() => updates(cb, "S5").length >= count + 20, 5_000, "updates after CLIENT KILL");
    // Nothing lost: one epoch, contiguous.
    for (const client of [ca, cb]) {
      expect(new Set(updates(client, "S5").map((u) => u.epoch)).size).toBe(1);
      expectContiguousPerEpoch(updates(client, "S5"));
    }
    const epoch = updates(cb, "S5").at(-1)!.epoch;
    await redis.restart(500);
    for (const client of [ca, cb])
      await eventually(() => updates(client, "S5").at(-1)!.epoch !== epoch, 10_000, "a new epoch after the restart");
    count = updates(cb, "S5").length;
    await eventually(() => updates(cb, "S5").length >= count + 5, 5_000, "updates after the restart");
    for (const client of [ca, cb]) expectContiguousPerEpoch(updates(client, "S5"));
    // Every process logged the outage once per connection, not per message.
    for (const node of [a, b, c]) {
      const lost = node.events.filter((e) => e.event === "log" && e.level === "warn" && e.message!.includes("commands connection"));
      expect(lost.length).toBeLessThanOrEqual(1);
    }
    await Promise.all([ca.close(), cb.close()]);
  }, 40_000);

  it("a client of a killed process reconnects to another and resumes with since, without loss", async () => {
    const producerClient = await subscriber(a, "S6");
    await eventually(() => producerOf("S6") !== undefined, 5_000, "a producer");
    const holder = [a, b, c].find((node) => node !== producerOf("S6"))!;
    const elsewhere = [a, b, c].find((node) => node !== holder)!;
    const moving = await subscriber(holder, "S6");
    await eventually(() => updates(moving, "S6").length >= 5, 10_000, "updates flowing");
    await holder.kill("SIGKILL");
    await moving.closed;
    const last = updates(moving, "S6").at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const resumed = await TestClient.connect(elsewhere.wsUrl);
    const response = await resumed.subscribeSince("bars", { symbol: "S6" }, { epoch: last.epoch, seq: last.seq });
    expect(response.payload).toMatchObject({ status: "ok", recovered: true });
    await eventually(() => updates(resumed, "S6").length >= 10, 5_000, "the replay and live updates");
    const got = updates(resumed, "S6");
    expect(got[0]).toMatchObject({ epoch: last.epoch, seq: last.seq + 1 });
    expectContiguousPerEpoch(got);
    // Exactly what a client that never left saw after that position.
    const reference = updates(producerClient, "S6").filter((u) => u.seq > last.seq && u.epoch === last.epoch);
    expect(got.slice(0, reference.length)).toEqual(reference.slice(0, got.length));
    await Promise.all([producerClient.close(), resumed.close()]);
  }, 30_000);
});
