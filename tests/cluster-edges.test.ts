/**
 * Adversarial edges of the Redis broker (issue 13), several apps in one test
 * process on one real redis-server (tests/support/cluster-apps.ts): option
 * checks, Redis down or hung, keys and subscriptions left behind, and the
 * delivery rules of docs/protocol.md (within an epoch seqs go up by one, a
 * gap is visible, a reset is a new epoch, never a duplicate) under faults.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WsgenError } from "wsgen";
import { redisBroker } from "wsgen/redis";
import { TestClient } from "./support/client.js";
import { bar } from "./support/fixtures.js";
import { Cluster, REQUEST, expectContiguous, redisPid, settledWithin, subscribed, updates } from "./support/cluster-apps.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { eventually } from "./support/server.js";

let redis: RedisServer;
let cluster: Cluster | undefined;
let stoppedPid: number | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});
const afterEachShared = async (): Promise<void> => {
  await cluster?.stop();
  const admin = await redis.admin();
  await admin.flushAll();
};
const freshCluster = (): Cluster => (cluster = new Cluster(redis));

const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe("redisBroker options", () => {
  afterEach(afterEachShared);
  it("refuses a leaseMs that is not a whole number (PEXPIRE takes integers only) with ERR_INVALID_OPTION", async () => {
    const cluster = freshCluster();
    const error = await rejection(redisBroker({ url: redis.url, leaseMs: 1000.5, tickMs: 100, log: () => undefined }));
    if (error === undefined) {
      // Accepted: then every first subscribe must still work, which it cannot if the lease is not an integer.
      const app = await cluster.start("a", { broker: { leaseMs: 1000.5 } });
      const client = await TestClient.connect(app.running.wsUrl("datafeed"));
      const response = await client.subscribe("bars", { symbol: "AAPL" });
      expect(response.payload, "a fractional leaseMs was accepted, and then a subscribe").toMatchObject({ status: "ok" });
    }
    expect(error).toMatchObject({ code: "ERR_INVALID_OPTION" });
  });

  it("refuses a URL that is not a URL with ERR_INVALID_OPTION, not a bare TypeError", async () => {
    const error = await rejection(redisBroker({ url: "redis://exa mple:6379", connectTimeoutMs: 300, log: () => undefined }));
    expect(error).toBeInstanceOf(WsgenError);
    expect(error).toMatchObject({ code: "ERR_INVALID_OPTION" });
  });

  it("refuses a nodeName Redis cannot take as a client name with ERR_INVALID_OPTION, not 'Redis is unreachable'", async () => {
    const started = Date.now();
    const error = await rejection(redisBroker({ url: redis.url, nodeName: "my node", connectTimeoutMs: 2_000, log: () => undefined }));
    expect(error).toBeInstanceOf(WsgenError);
    expect(error).toMatchObject({ code: "ERR_INVALID_OPTION" });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("refuses tickMs over leaseMs / 2, a negative leaseMs and a prefix with a brace", async () => {
    for (const options of [{ leaseMs: 1000, tickMs: 501 }, { leaseMs: -1 }, { prefix: "a{b}" }, { connectTimeoutMs: 0 }]) {
      const error = await rejection(redisBroker({ url: redis.url, log: () => undefined, ...options }));
      expect(error, JSON.stringify(options)).toMatchObject({ code: "ERR_INVALID_OPTION" });
    }
  });
});

describe("Redis down or hung", () => {
  // Each test its own redis-server: these ones kill or stop it.
  let own: RedisServer;
  beforeEach(async () => {
    own = await startRedisServer();
  });
  afterEach(async () => {
    if (stoppedPid !== undefined) process.kill(stoppedPid, "SIGCONT");
    stoppedPid = undefined;
    await cluster?.stop();
    await own.stop();
  });
  const hang = async (): Promise<void> => {
    stoppedPid = await redisPid(await own.admin());
    process.kill(stoppedPid, "SIGSTOP");
  };

  it("route.publish while Redis is down rejects ERR_BROKER_UNAVAILABLE at once", async () => {
    const a = await (cluster = new Cluster(own)).start("a");
    await subscribed(a);
    const back = own.restart(2_000);
    await eventually(() => a.broker.stats().connections.commands !== "ready", 1_500, "the broker sees Redis gone");
    const started = Date.now();
    const error = await rejection(a.route.publish(REQUEST, bar(1)));
    expect(error).toMatchObject({ code: "ERR_BROKER_UNAVAILABLE" });
    expect(Date.now() - started).toBeLessThan(500);
    await back;
  });

  it("route.publish settles (ERR_BROKER_UNAVAILABLE) within connectTimeoutMs while Redis hangs (SIGSTOP: a network black hole)", async () => {
    const a = await (cluster = new Cluster(own)).start("a", { broker: { connectTimeoutMs: 500 } });
    await subscribed(a);
    await hang();
    const outcome = await settledWithin(a.route.publish(REQUEST, bar(1)), 3_000);
    expect(outcome, "route.publish still pending 3 s after Redis stopped answering").not.toBe("pending");
    expect(outcome).toMatchObject({ error: { code: "ERR_BROKER_UNAVAILABLE" } });
  });

  it("a subscribe settles (refused) within connectTimeoutMs while Redis hangs", async () => {
    const a = await (cluster = new Cluster(own)).start("a", { broker: { connectTimeoutMs: 500 } });
    await hang();
    const client = await TestClient.connect(a.running.wsUrl("datafeed"));
    const outcome = await settledWithin(client.subscribe("bars", { symbol: "AAPL" }), 3_000);
    expect(outcome, "subscribe still unanswered 3 s after Redis stopped answering").not.toBe("pending");
    expect(outcome).toMatchObject({ value: { payload: { status: "error" } } });
  });

  it("app.close() settles while Redis hangs, and removeTopic still runs here", async () => {
    const a = await (cluster = new Cluster(own)).start("a", { broker: { connectTimeoutMs: 500 } });
    await subscribed(a);
    await hang();
    const outcome = await settledWithin(a.running.stop(), 5_000);
    expect(outcome, "app.close() still pending 5 s after Redis stopped answering").not.toBe("pending");
    expect(a.removed).toHaveLength(1);
  });

  it("app.close() settles while Redis is down (killed), and removeTopic still runs here", async () => {
    const a = await (cluster = new Cluster(own)).start("a", { broker: { connectTimeoutMs: 500 } });
    await subscribed(a);
    const back = own.restart(3_000);
    await eventually(() => a.broker.stats().connections.commands !== "ready", 1_500, "the broker sees Redis gone");
    const outcome = await settledWithin(a.running.stop(), 2_000);
    expect(outcome).not.toBe("pending");
    expect(a.removed).toHaveLength(1);
    await back;
  });

  it("broker.close() before app.close(): app.close() settles and removeTopic runs", async () => {
    const a = await (cluster = new Cluster(own)).start("a");
    await subscribed(a);
    await a.broker.close();
    const outcome = await settledWithin(a.running.stop(), 5_000);
    expect(outcome).not.toBe("pending");
    expect(a.removed).toHaveLength(1);
  });

  it("a Redis blip as createTopic finishes (the live script lost) does not leave other processes' subscribes waiting forever", async () => {
    cluster = new Cluster(own);
    const admin = await own.admin();
    const proxy = await startTcpProxy(own.port);
    try {
      const a = await cluster.start("a", {
        broker: { url: `redis://127.0.0.1:${proxy.port}` },
        onCreate: async (app) => {
          // Redis unreachable for 300 ms as createTopic settles: the live script that follows fails (no offline queue).
          proxy.drop(300);
          await eventually(() => app.broker.stats().connections.commands !== "ready", 1_000, "a sees Redis gone");
        },
      });
      const b = await cluster.start("b");
      await subscribed(a);
      await eventually(() => a.broker.stats().connections.commands === "ready", 3_000, "a reconnected");
      const leaseKey = (await admin.sendCommand<string[]>(["KEYS", "*:l"]))[0]!;
      // What b's join reads: still creating, though a's createTopic succeeded and a produces.
      const lease = await admin.sendCommand<string[]>(["HGETALL", leaseKey]);
      const client = await TestClient.connect(b.running.wsUrl("datafeed"));
      const outcome = await settledWithin(client.subscribe("bars", { symbol: "AAPL" }), 4_000);
      expect(outcome, `b's subscribe unanswered 4 s later; the lease: ${JSON.stringify(lease)}`).not.toBe("pending");
      expect(outcome).toMatchObject({ value: { payload: { status: "ok" } } });
    } finally {
      await cluster.stop();
      await proxy.close();
    }
  });
});

describe("nothing left behind", () => {
  afterEach(afterEachShared);
  it("no key is left in Redis once a topic's only process died before its first tick", async () => {
    // tickMs 500: the first tick comes 500 ms after the broker started; the process dies well before it.
    const a = await freshCluster().start("a", { broker: { leaseMs: 1_000, tickMs: 500 } });
    await subscribed(a);
    expect(await a.route.publish(REQUEST, bar(1))).toEqual({ status: "accepted" });
    await a.broker.close(); // dead as far as Redis can tell: no tick, no release
    const admin = await redis.admin();
    // Lease and hold lapse within leaseMs; the topic's meta and stream must not outlive them for long.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const left = await admin.sendCommand<string[]>(["KEYS", "*"]);
    const ttls = await Promise.all(left.map((key) => admin.sendCommand<number>(["PTTL", key])));
    expect(Object.fromEntries(left.map((key, i) => [key, ttls[i]]))).toEqual({});
  });

  it("no key, shard channel, feed or run is left after every subscriber everywhere left", async () => {
    const cluster = freshCluster();
    const apps = [await cluster.start("a", { publishEveryMs: 10 }), await cluster.start("b"), await cluster.start("c")];
    const clients = await Promise.all(apps.map((app) => subscribed(app)));
    await eventually(() => updates(clients[2]!).length >= 5, 3_000, "updates flowing");
    await Promise.all(clients.map((client) => client.close()));
    await eventually(() => cluster.log.length === 2, 3_000, "one removeTopic");
    const admin = await redis.admin();
    await eventually(
      () => apps.every((app) => app.route.stats().broker?.feeds === 0 && app.route.stats().broker?.producing === 0),
      2_000,
      "no feed nor run left",
    );
    expect(await admin.sendCommand(["PUBSUB", "SHARDCHANNELS"])).toEqual([]);
    // Holds lapse within 2 × leaseMs.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(await admin.sendCommand(["KEYS", "*"])).toEqual([]);
  });
});

describe("delivery rules under faults", () => {
  afterEach(afterEachShared);
  it("CLIENT KILL TYPE pubsub, three times under a high publish rate, on three processes: no duplicate, no silent gap", async () => {
    const cluster = freshCluster();
    const apps = [await cluster.start("a", { publishEveryMs: 1 }), await cluster.start("b"), await cluster.start("c")];
    const clients = await Promise.all(apps.map((app) => subscribed(app)));
    const admin = await redis.admin();
    for (let kill = 0; kill < 3; kill++) {
      const count = updates(clients[1]!).length;
      await eventually(() => updates(clients[1]!).length >= count + 50, 10_000, "updates flowing");
      await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
    }
    const count = updates(clients[2]!).length;
    await eventually(() => clients.every((client) => updates(client).length >= count + 100), 5_000, "updates after the kills");
    for (const client of clients) expectContiguous(updates(client));
  });

  it("a producer whose queue drops updates (queueCapacity 2) shows the drop as a seq jump, the same on every process", async () => {
    const cluster = freshCluster();
    const a = await cluster.start("a", { route: { queueCapacity: 2, batchWindowMs: 50 } });
    const b = await cluster.start("b", { route: { queueCapacity: 2, batchWindowMs: 50 } });
    const [ca, cb] = [await subscribed(a), await subscribed(b)];
    const live = [...a.service.topics(), ...b.service.topics()][0]!;
    for (let i = 1; i <= 10; i++) live.update(bar(i)); // one turn: 8 of them dropped
    await eventually(() => updates(cb).length >= 2 && updates(ca).length >= 2, 3_000, "what was kept");
    await new Promise((resolve) => setTimeout(resolve, 200));
    live.update(bar(11));
    await eventually(() => updates(cb).length >= 3 && updates(ca).length >= 3, 3_000, "the next one");
    expect(updates(ca)).toEqual(updates(cb));
    expect(updates(cb).map((u) => [u.close, u.seq])).toEqual([
      [9, 9],
      [10, 10],
      [11, 11],
    ]);
  });
});
